//! Time zones as people name them: 北京时间, 乌鲁木齐时间, 香港时间, 台北时间 (and their
//! cities) instead of IANA names. Zones with such a name have a Fluent message
//! (`zone-asia-shanghai` = 北京时间, see [`zone_key`]); others are shown by their IANA name.

use chrono_tz::Tz;

/// Zones people name by a city or a country, with the names (in every language we read)
/// that a member may type. The first zone of a country is the one its name means.
const NAMED: &[(Tz, &[&str])] = &[
    (
        chrono_tz::Asia::Shanghai,
        &[
            "北京", "上海", "中国", "中國", "大陆", "大陸", "内地", "beijing", "peking",
            "shanghai", "china", "prc",
        ],
    ),
    (
        chrono_tz::Asia::Urumqi,
        &["乌鲁木齐", "烏魯木齊", "新疆", "urumqi", "xinjiang"],
    ),
    (chrono_tz::Asia::Hong_Kong, &["香港", "hongkong", "hk"]),
    (chrono_tz::Asia::Macau, &["澳门", "澳門", "macau", "macao"]),
    (
        chrono_tz::Asia::Taipei,
        &["台北", "臺北", "台湾", "台灣", "臺灣", "taipei", "taiwan"],
    ),
    (chrono_tz::Asia::Singapore, &["新加坡", "singapore"]),
    (
        chrono_tz::Asia::Tokyo,
        &["东京", "東京", "日本", "tokyo", "japan"],
    ),
    (
        chrono_tz::Asia::Seoul,
        &["首尔", "首爾", "韩国", "韓國", "seoul", "korea"],
    ),
    (chrono_tz::Asia::Dubai, &["迪拜", "杜拜", "dubai"]),
    (
        chrono_tz::Europe::London,
        &["伦敦", "倫敦", "英国", "英國", "london", "uk"],
    ),
    (
        chrono_tz::Europe::Paris,
        &["巴黎", "法国", "法國", "paris", "france"],
    ),
    (
        chrono_tz::Europe::Berlin,
        &["柏林", "德国", "德國", "berlin", "germany"],
    ),
    (
        chrono_tz::Europe::Moscow,
        &["莫斯科", "俄罗斯", "俄羅斯", "moscow", "russia"],
    ),
    (
        chrono_tz::America::New_York,
        &["纽约", "紐約", "newyork", "nyc"],
    ),
    (
        chrono_tz::America::Los_Angeles,
        &[
            "洛杉矶",
            "洛杉磯",
            "旧金山",
            "舊金山",
            "losangeles",
            "sanfrancisco",
        ],
    ),
    (chrono_tz::Australia::Sydney, &["悉尼", "雪梨", "sydney"]),
];

/// Every zone that has a name of its own (and so a `zone-*` message in every locale).
pub fn named_zones() -> impl Iterator<Item = Tz> {
    NAMED.iter().map(|(tz, _)| *tz)
}

/// The Fluent key of `tz`'s name (`zone-asia-shanghai`), if it has one.
pub fn zone_key(tz: Tz) -> Option<String> {
    NAMED
        .iter()
        .any(|(z, _)| *z == tz)
        .then(|| key_of(tz.name()))
}

fn key_of(iana: &str) -> String {
    let slug: String = iana
        .chars()
        .map(|c| match c {
            '/' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    format!("zone-{slug}")
}

/// The zone a member means by `text`: an IANA name in any case (`asia/urumqi`), a city or
/// country with or without "时间"/"時間"/"time" (`北京时间`, `Beijing time`, `香港`), or an
/// offset from UTC (`UTC+8`, `GMT+8`, `+8`; UTC+8 is Beijing time).
pub fn read_zone(text: &str) -> Option<Tz> {
    let trimmed = text.trim();
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(trimmed))
    {
        return Some(*tz);
    }
    let mut t: String = trimmed
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）'))
        .flat_map(char::to_lowercase)
        .collect();
    for suffix in [
        "标准时间",
        "標準時間",
        "时间",
        "時間",
        "时区",
        "時區",
        "time",
        "zone",
    ] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.to_string();
            break;
        }
    }
    if let Some(tz) = NAMED
        .iter()
        .find(|(_, names)| names.contains(&t.as_str()))
        .map(|(tz, _)| *tz)
    {
        return Some(tz);
    }
    read_offset(&t)
}

/// `utc+8`, `gmt-5`, `+8`, `utc+5:30`: whole hours only (as Etc/GMT zones), with +8 as
/// Beijing time.
fn read_offset(t: &str) -> Option<Tz> {
    let rest = t
        .strip_prefix("utc")
        .or_else(|| t.strip_prefix("gmt"))
        .unwrap_or(t);
    let mut chars = rest.chars();
    let sign = match chars.next()? {
        '+' => 1,
        '-' | '−' => -1,
        _ => return None,
    };
    let digits = chars.as_str();
    let hours: i32 = digits.parse().ok()?;
    if !(0..=14).contains(&hours) {
        return None;
    }
    let offset = sign * hours;
    if offset == 8 {
        return Some(chrono_tz::Asia::Shanghai);
    }
    if offset == 0 {
        return Some(chrono_tz::UTC);
    }
    // Etc/GMT zones have the sign reversed: Etc/GMT-5 is UTC+5.
    let name = format!(
        "Etc/GMT{}{}",
        if offset > 0 { '-' } else { '+' },
        offset.abs()
    );
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_read_as_people_name_them() {
        let shanghai = chrono_tz::Asia::Shanghai;
        for text in [
            "北京时间",
            "北京",
            "北京時間",
            "上海",
            "中国",
            "Beijing time",
            "beijing",
            " China ",
            "UTC+8",
            "GMT+8",
            "+8",
            "Asia/Shanghai",
            "asia/shanghai",
        ] {
            assert_eq!(read_zone(text), Some(shanghai), "{text}");
        }
        for (text, tz) in [
            ("乌鲁木齐时间", chrono_tz::Asia::Urumqi),
            ("新疆时间", chrono_tz::Asia::Urumqi),
            ("烏魯木齊", chrono_tz::Asia::Urumqi),
            ("香港时间", chrono_tz::Asia::Hong_Kong),
            ("Hong Kong", chrono_tz::Asia::Hong_Kong),
            ("台北時間", chrono_tz::Asia::Taipei),
            ("Taipei time", chrono_tz::Asia::Taipei),
            ("伦敦", chrono_tz::Europe::London),
            ("New York", chrono_tz::America::New_York),
            ("UTC-5", chrono_tz::Etc::GMTPlus5),
            ("utc+3", chrono_tz::Etc::GMTMinus3),
            ("UTC", chrono_tz::UTC),
            ("UTC+0", chrono_tz::UTC),
        ] {
            assert_eq!(read_zone(text), Some(tz), "{text}");
        }
        for text in ["", "火星时间", "Mars/Base", "UTC+15", "+", "utc+x", "7点"] {
            assert_eq!(read_zone(text), None, "{text}");
        }
    }

    #[test]
    fn named_zones_have_keys_and_others_none() {
        assert_eq!(
            zone_key(chrono_tz::Asia::Shanghai).as_deref(),
            Some("zone-asia-shanghai")
        );
        assert_eq!(
            zone_key(chrono_tz::Asia::Hong_Kong).as_deref(),
            Some("zone-asia-hong-kong")
        );
        assert_eq!(zone_key(chrono_tz::Africa::Cairo), None);
        assert!(named_zones().all(|tz| zone_key(tz).is_some()));
        // Every name a member types leads to one zone only.
        let mut names: Vec<&str> = NAMED.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all);
    }
}
