//! Addresses of chats across channels, as the operator writes them (configured owners).

/// The channel whose chat ids need no prefix (the first one weike served).
pub const DEFAULT_CHANNEL: &str = "telegram";

/// A chat on a channel, e.g. a configured owner: `CHAT_ID` of [`DEFAULT_CHANNEL`], or
/// `CHANNEL:CHAT_ID`. Parsing only reads the form; whether the channel exists and the id
/// has its form is the channel registry's check (`channel::check_address`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAddress {
    pub channel: String,
    pub chat_id: String,
}

impl ChatAddress {
    /// `CHAT_ID` or `CHANNEL:CHAT_ID` (a channel name is lowercase letters). The error says
    /// what is wrong.
    pub fn parse(text: &str) -> Result<ChatAddress, String> {
        let text = text.trim();
        let (channel, chat_id) = match text.split_once(':') {
            Some((name, id))
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()) =>
            {
                (name, id.trim())
            }
            _ => (DEFAULT_CHANNEL, text),
        };
        if chat_id.is_empty() {
            return Err(format!("{text:?} has no chat id"));
        }
        Ok(ChatAddress {
            channel: channel.to_string(),
            chat_id: chat_id.to_string(),
        })
    }
}

impl std::fmt::Display for ChatAddress {
    /// The id alone on the default channel, else `channel:id` (what [`Self::parse`] reads).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.channel == DEFAULT_CHANNEL {
            f.write_str(&self.chat_id)
        } else {
            write!(f, "{}:{}", self.channel, self.chat_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_prefixed_addresses_and_shows_them_back() {
        let plain = ChatAddress::parse(" 123456789 ").unwrap();
        assert_eq!(plain.channel, DEFAULT_CHANNEL);
        assert_eq!(plain.chat_id, "123456789");
        assert_eq!(plain.to_string(), "123456789");
        let group = ChatAddress::parse("-100").unwrap();
        assert_eq!(
            (group.channel.as_str(), group.chat_id.as_str()),
            (DEFAULT_CHANNEL, "-100")
        );
        let named = ChatAddress::parse("wecom: ZhangSan").unwrap();
        assert_eq!(
            (named.channel.as_str(), named.chat_id.as_str()),
            ("wecom", "ZhangSan")
        );
        assert_eq!(ChatAddress::parse(&named.to_string()), Ok(named));
        assert!(ChatAddress::parse("").is_err());
        assert!(ChatAddress::parse("console:").is_err());
    }
}
