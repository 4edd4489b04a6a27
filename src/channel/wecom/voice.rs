//! A lesson's Opus audio as WeCom voice messages: AMR-NB (8 kHz mono, 12.2 kbit/s), at most
//! 60 s and 2 MB each (media/upload, path/90253).
//!
//! Two tools from Debian's archive do the work, run as child processes, at the first send of
//! an audio (the pieces are then kept in memory, and their uploads for WeCom's 3 days):
//!
//! - `opusdec` (package `opus-tools`) decodes the Ogg Opus file to 16-bit PCM WAV at 8 kHz;
//! - `sox` (packages `sox` and `libsox-fmt-base`, whose AMR format uses the encoder of
//!   `libopencore-amrnb0`) encodes the PCM as AMR-NB (`-t amr-nb -C 7`: 12.2 kbit/s). Debian's
//!   ffmpeg is not needed (and Debian's sox cannot read Opus itself).
//!
//! An audio longer than [`MAX_PIECE_SECONDS`] is cut into the fewest pieces that fit, each cut
//! at the quietest 200 ms near where an even split would put it ([`cut_points`]), so that a
//! piece ends between words. The cuts are made in the AMR file on frame boundaries (20 ms, 160
//! samples: AMR-NB's storage format is the magic number followed by frames, RFC 4867 §5).
//!
//! A missing or failing tool is a [`TranscodeError`]; the channel then sends the audio as a
//! file and says so in the log and in `weike_wecom_voice_fallbacks_total`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

/// The sample rate of AMR-NB.
pub const SAMPLE_RATE: usize = 8000;
/// Samples in one AMR frame (20 ms).
pub const FRAME_SAMPLES: usize = 160;
/// The longest piece weike makes (WeCom refuses a voice longer than 60 s; the margin covers
/// the encoder's last, padded frame).
pub const MAX_PIECE_SECONDS: f64 = 59.5;
/// How far from an even split a cut may move to find a pause, in seconds.
const SEARCH_SECONDS: f64 = 8.0;
/// The window whose loudness decides a cut (10 frames: 200 ms).
const QUIET_FRAMES: usize = 10;

/// The AMR-NB magic number (RFC 4867, section 5).
pub const AMR_MAGIC: &[u8] = b"#!AMR\n";

/// Why an audio could not be made into voice messages.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// The tool is not installed (or not where the settings say).
    #[error("{tool} is not available ({error}): install opus-tools, sox and libsox-fmt-base")]
    Missing { tool: String, error: String },
    /// The tool ran and failed.
    #[error("{tool} failed ({status}): {stderr}")]
    Failed {
        tool: String,
        status: String,
        stderr: String,
    },
    /// Its output was not what was asked for.
    #[error("{0}")]
    BadOutput(String),
}

/// The transcoding tools, by path or by name on `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcoder {
    pub opusdec: PathBuf,
    pub sox: PathBuf,
}

impl Default for Transcoder {
    fn default() -> Self {
        Self {
            opusdec: PathBuf::from("opusdec"),
            sox: PathBuf::from("sox"),
        }
    }
}

impl Transcoder {
    /// Whether both tools run (`--version`), and sox writes AMR-NB.
    pub async fn check(&self) -> Result<(), TranscodeError> {
        run(&self.opusdec, &["--version"], None).await?;
        let help = run(&self.sox, &["-h"], None).await?;
        let formats = String::from_utf8_lossy(&help);
        if !formats.split_whitespace().any(|f| f == "amr-nb") {
            return Err(TranscodeError::Missing {
                tool: format!("{} with the AMR-NB format", self.sox.display()),
                error: "sox lists no amr-nb format".into(),
            });
        }
        Ok(())
    }

    /// The Opus file at `opus` as AMR-NB pieces of at most [`MAX_PIECE_SECONDS`] each.
    pub async fn voice_pieces(&self, opus: &Path) -> Result<Vec<Vec<u8>>, TranscodeError> {
        let input = opus.to_string_lossy().into_owned();
        let rate = SAMPLE_RATE.to_string();
        let wav = run(
            &self.opusdec,
            &["--quiet", "--rate", &rate, "--force-wav", &input, "-"],
            None,
        )
        .await?;
        let pcm = wav_to_mono_pcm(&wav)?;
        if pcm.is_empty() {
            return Err(TranscodeError::BadOutput(format!(
                "{} decoded to no sound",
                opus.display()
            )));
        }
        let raw: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        let amr = run(
            &self.sox,
            &[
                "-t", "raw", "-r", &rate, "-e", "signed", "-b", "16", "-c", "1", "-", "-t",
                "amr-nb", "-C", "7", "-",
            ],
            Some(raw),
        )
        .await?;
        let frames = amr_frames(&amr).ok_or_else(|| {
            TranscodeError::BadOutput(format!("{} wrote no AMR-NB", self.sox.display()))
        })?;
        let cuts = cut_points(&pcm, frames.len());
        Ok(split_amr(&amr, &frames, &cuts))
    }
}

/// Runs a tool with `args` (and `stdin`), returning its standard output.
async fn run(
    tool: &Path,
    args: &[&str],
    stdin: Option<Vec<u8>>,
) -> Result<Vec<u8>, TranscodeError> {
    let name = tool.display().to_string();
    let mut child = tokio::process::Command::new(tool)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TranscodeError::Missing {
            tool: name.clone(),
            error: e.to_string(),
        })?;
    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(tokio::spawn(async move {
            // A tool that stops reading early fails on its own; its status tells.
            let _ = pipe.write_all(&bytes).await;
        })),
        _ => None,
    };
    let output = child
        .wait_with_output()
        .await
        .map_err(|e| TranscodeError::Failed {
            tool: name.clone(),
            status: "not waited for".into(),
            stderr: e.to_string(),
        })?;
    if let Some(writer) = writer {
        let _ = writer.await;
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(TranscodeError::Failed {
            tool: name,
            status: output.status.to_string(),
            stderr: stderr.chars().take(300).collect(),
        });
    }
    Ok(output.stdout)
}

/// The 16-bit PCM samples of a WAV file, mixed down to one channel. A length of the `data`
/// chunk larger than the file (a WAV written to a pipe) means "to the end".
pub fn wav_to_mono_pcm(wav: &[u8]) -> Result<Vec<i16>, TranscodeError> {
    let bad = |why: &str| TranscodeError::BadOutput(format!("not a 16-bit PCM WAV: {why}"));
    if wav.get(0..4) != Some(b"RIFF") || wav.get(8..12) != Some(b"WAVE") {
        return Err(bad("no RIFF/WAVE header"));
    }
    let mut at = 12;
    let mut channels = None;
    while let Some(header) = wav.get(at..at + 8) {
        let id = &header[0..4];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body = at + 8;
        if id == b"fmt " {
            let fmt = wav
                .get(body..body + 16)
                .ok_or_else(|| bad("short fmt chunk"))?;
            let format = u16::from_le_bytes([fmt[0], fmt[1]]);
            let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
            // 1: PCM; 0xFFFE: WAVE_FORMAT_EXTENSIBLE (opusdec writes it for > 2 channels).
            if !(format == 1 || format == 0xFFFE) || bits != 16 {
                return Err(bad("not 16-bit PCM"));
            }
            channels = Some(usize::from(u16::from_le_bytes([fmt[2], fmt[3]]).max(1)));
        } else if id == b"data" {
            let channels = channels.ok_or_else(|| bad("data before fmt"))?;
            let end = body.saturating_add(size).min(wav.len());
            let data = &wav[body..end];
            let frame = 2 * channels;
            return Ok(data
                .chunks_exact(frame)
                .map(|f| {
                    let sum: i32 = f
                        .chunks_exact(2)
                        .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
                        .sum();
                    (sum / channels as i32) as i16
                })
                .collect());
        }
        at = body.saturating_add(size + (size & 1));
    }
    Err(bad("no data chunk"))
}

/// The byte range of each frame of an AMR-NB file, or None if it is not one.
pub fn amr_frames(bytes: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    // Speech bytes per frame type 0-7 (4.75 to 12.2 kbit/s), 8 = comfort noise, 15 = no data.
    const SPEECH: [usize; 16] = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];
    let mut at = AMR_MAGIC.len();
    if !bytes.starts_with(AMR_MAGIC) {
        return None;
    }
    let mut frames = Vec::new();
    while let Some(&header) = bytes.get(at) {
        let frame_type = usize::from((header >> 3) & 0x0F);
        if (9..15).contains(&frame_type) || header & 0x83 != 0 {
            return None;
        }
        let end = at + 1 + SPEECH[frame_type];
        if end > bytes.len() {
            return None;
        }
        frames.push(at..end);
        at = end;
    }
    Some(frames)
}

/// Where to cut an audio of `frames` AMR frames (whose sound is `pcm`) so that no piece is
/// longer than [`MAX_PIECE_SECONDS`]: the frame indices at which the 2nd, 3rd, ... pieces
/// start (none when it fits in one). Each cut is at the quietest 200 ms within
/// [`SEARCH_SECONDS`] of where an even split of what is left would put it, and never where
/// the rest could no longer fit in the pieces left.
pub fn cut_points(pcm: &[i16], frames: usize) -> Vec<usize> {
    let max = (MAX_PIECE_SECONDS * SAMPLE_RATE as f64 / FRAME_SAMPLES as f64) as usize;
    if frames <= max {
        return Vec::new();
    }
    let pieces = frames.div_ceil(max);
    // Loudness of each frame: the sum of squares of its samples.
    let energy: Vec<f64> = (0..frames)
        .map(|f| {
            let start = (f * FRAME_SAMPLES).min(pcm.len());
            let end = ((f + 1) * FRAME_SAMPLES).min(pcm.len());
            pcm[start..end]
                .iter()
                .map(|&s| f64::from(s) * f64::from(s))
                .sum()
        })
        .collect();
    let search = (SEARCH_SECONDS * SAMPLE_RATE as f64 / FRAME_SAMPLES as f64) as usize;
    let mut cuts = Vec::with_capacity(pieces - 1);
    let mut start = 0;
    for i in 1..pieces {
        let left = pieces - i; // pieces after this cut
        let ideal = start + (frames - start) / (left + 1);
        // The piece before the cut is at most `max`; the rest must fit in `left` pieces.
        let lo = (frames.saturating_sub(left * max)).max(start + 1);
        let hi = (start + max).min(frames - 1);
        let from = ideal.saturating_sub(search).clamp(lo, hi);
        let to = (ideal + search).clamp(lo, hi);
        let quietness = |c: usize| -> f64 {
            let a = c.saturating_sub(QUIET_FRAMES / 2);
            let b = (c + QUIET_FRAMES / 2).min(frames);
            energy[a..b].iter().sum()
        };
        let cut = (from..=to)
            .min_by(|&a, &b| {
                quietness(a)
                    .total_cmp(&quietness(b))
                    // Among equally quiet places, the one nearest the even split.
                    .then(a.abs_diff(ideal).cmp(&b.abs_diff(ideal)))
            })
            .unwrap_or(ideal.clamp(lo, hi));
        cuts.push(cut);
        start = cut;
    }
    cuts
}

/// The AMR file cut before the frames `cuts` names: each piece the magic number and its
/// frames.
pub fn split_amr(amr: &[u8], frames: &[std::ops::Range<usize>], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < frames.len()));
    bounds.push(frames.len());
    bounds
        .windows(2)
        .filter(|w| w[0] < w[1])
        .map(|w| {
            let mut piece = AMR_MAGIC.to_vec();
            piece.extend_from_slice(&amr[frames[w[0]].start..frames[w[1] - 1].end]);
            piece
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AMR file of `n` 12.2 kbit/s frames (header 0x3C, 31 bytes of speech).
    fn amr(n: usize) -> Vec<u8> {
        let mut bytes = AMR_MAGIC.to_vec();
        for i in 0..n {
            bytes.push(0x3C);
            bytes.extend(std::iter::repeat_n((i % 251) as u8, 31));
        }
        bytes
    }

    fn frames_per_second() -> usize {
        SAMPLE_RATE / FRAME_SAMPLES
    }

    #[test]
    fn a_short_audio_is_one_piece() {
        let bytes = amr(50 * frames_per_second());
        let frames = amr_frames(&bytes).unwrap();
        assert_eq!(frames.len(), 2500);
        assert!(cut_points(&[], frames.len()).is_empty());
        assert_eq!(split_amr(&bytes, &frames, &[]), vec![bytes]);
    }

    #[test]
    fn a_long_audio_is_cut_at_its_quietest_place_near_the_middle() {
        let n = 64 * frames_per_second(); // 64 s
        // Loud everywhere but 200 ms at 30 s.
        let mut pcm = vec![8000i16; n * FRAME_SAMPLES];
        let quiet = 30 * frames_per_second();
        for s in &mut pcm[(quiet - 5) * FRAME_SAMPLES..(quiet + 5) * FRAME_SAMPLES] {
            *s = 0;
        }
        let cuts = cut_points(&pcm, n);
        assert_eq!(cuts, vec![quiet]);
        let bytes = amr(n);
        let frames = amr_frames(&bytes).unwrap();
        let pieces = split_amr(&bytes, &frames, &cuts);
        assert_eq!(pieces.len(), 2);
        let lens: Vec<usize> = pieces
            .iter()
            .map(|p| amr_frames(p).expect("each piece is AMR").len())
            .collect();
        assert_eq!(lens, vec![quiet, n - quiet]);
        // Nothing lost, nothing doubled.
        let joined: Vec<u8> = pieces
            .iter()
            .flat_map(|p| p[AMR_MAGIC.len()..].to_vec())
            .collect();
        assert_eq!(joined, bytes[AMR_MAGIC.len()..]);
    }

    #[test]
    fn every_piece_fits_whatever_the_sound() {
        let max = (MAX_PIECE_SECONDS * frames_per_second() as f64) as usize;
        for seconds in [60, 61, 118, 119, 200, 600] {
            let n = seconds * frames_per_second();
            // Silent at the very start: the quietest place must not make a piece too long.
            let mut pcm = vec![3000i16; n * FRAME_SAMPLES];
            for s in &mut pcm[..FRAME_SAMPLES * 20] {
                *s = 0;
            }
            let cuts = cut_points(&pcm, n);
            let mut bounds = vec![0];
            bounds.extend(&cuts);
            bounds.push(n);
            assert_eq!(cuts.len(), n.div_ceil(max) - 1, "{seconds} s");
            for w in bounds.windows(2) {
                assert!(w[0] < w[1] && w[1] - w[0] <= max, "{seconds} s: {bounds:?}");
            }
        }
    }

    #[test]
    fn wav_is_read_and_mixed_down() {
        let mut wav = b"RIFF\xff\xff\xff\xffWAVEfmt ".to_vec();
        wav.extend(16u32.to_le_bytes());
        wav.extend(1u16.to_le_bytes()); // PCM
        wav.extend(2u16.to_le_bytes()); // stereo
        wav.extend(8000u32.to_le_bytes());
        wav.extend(32000u32.to_le_bytes());
        wav.extend(4u16.to_le_bytes());
        wav.extend(16u16.to_le_bytes());
        wav.extend(b"data\xff\xff\xff\xff"); // to the end (a pipe)
        for (l, r) in [(100i16, 300i16), (-4, 0)] {
            wav.extend(l.to_le_bytes());
            wav.extend(r.to_le_bytes());
        }
        assert_eq!(wav_to_mono_pcm(&wav).unwrap(), vec![200, -2]);
        assert!(wav_to_mono_pcm(b"OggS").is_err());
    }

    #[test]
    fn not_amr_is_refused() {
        assert!(amr_frames(b"OggS....").is_none());
        let mut bytes = amr(2);
        bytes.pop();
        assert!(amr_frames(&bytes).is_none(), "a truncated frame");
    }

    #[tokio::test]
    async fn a_missing_tool_is_missing() {
        let t = Transcoder {
            opusdec: PathBuf::from("/nonexistent/opusdec"),
            sox: PathBuf::from("sox"),
        };
        assert!(matches!(
            t.check().await,
            Err(TranscodeError::Missing { .. })
        ));
        assert!(matches!(
            t.voice_pieces(Path::new("x.ogg")).await,
            Err(TranscodeError::Missing { .. })
        ));
    }
}
