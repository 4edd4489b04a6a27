//! TCP connections that a handler can cut without an HTTP response ([`super::Fault::Drop`]).
//!
//! axum serves each accepted [`Stream`] with hyper. A handler gets the connection's
//! [`Connection`] through `ConnectInfo`; [`Connection::drop_without_response`] makes every
//! later read and write of the stream fail, so hyper gives up on the connection before it has
//! written a single byte of the answer and closes the socket.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use axum::{
    extract::connect_info::Connected,
    serve::{IncomingStream, Listener},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};

/// A [`TcpListener`] whose connections can be cut by a handler.
pub struct CuttableListener(pub TcpListener);

impl Listener for CuttableListener {
    type Io = Stream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Stream, SocketAddr) {
        let (inner, addr) = Listener::accept(&mut self.0).await;
        let stream = Stream {
            inner,
            cut: Arc::default(),
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Listener::local_addr(&self.0)
    }
}

/// The handle a handler gets (as `ConnectInfo<Connection>`) to the connection it answers on.
#[derive(Clone, Debug)]
pub struct Connection {
    cut: Arc<AtomicBool>,
}

impl Connection {
    /// From now on the connection fails every read and write, so the answer the handler
    /// returns is never written and hyper closes the socket.
    pub fn drop_without_response(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Connection {
        Connection {
            cut: Arc::clone(&stream.io().cut),
        }
    }
}

pub struct Stream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
}

impl Stream {
    fn check(&self) -> io::Result<()> {
        match self.cut.load(Ordering::SeqCst) {
            true => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "fake Telegram: connection dropped on purpose (Fault::Drop)",
            )),
            false => Ok(()),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing is what a cut connection is for; let hyper shut it down.
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
