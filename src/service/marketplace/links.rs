//! No external links: source 001 removed every external portfolio link on
//! purpose, because contacts are sold through leads. [`find`] tells whether
//! a text carries a URL, an email address, a phone number or a social
//! media handle (`@name`, `insta: name`), also when
//! disguised (`hxxp://`, `example[dot]com`, `name [at] mail`, `www .site`,
//! digits with spaces or dashes, digits spelled out), and leaves ordinary
//! prose alone (`e.g.`, `3.5 hours`, `Node.js`, `ASP.NET`, year ranges,
//! prices).
//!
//! The text is first folded: lower case, full-width forms to ASCII, the
//! usual stand-ins for `@` and `.` (`[at]`, `(at)`, `{dot}`, ` dot `) to
//! the characters, and zero-width characters dropped. Then three patterns
//! look for a scheme or `www`, an address, a host with a known top-level
//! domain, a run of 10 to 15 digits (written or spelled) with at most
//! two separator characters between digits, and a handle: `@name`, or a
//! platform's name (`instagram`, `ig`, `telegram`, …) followed by `:` and a
//! name.

use std::sync::LazyLock;

use regex::Regex;

/// What kind of contact detail a text carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contact {
    Url,
    Email,
    Phone,
    Handle,
}

impl Contact {
    /// The field error to show.
    pub fn message(self) -> &'static str {
        match self {
            Contact::Url => "must not contain links or web addresses; contacts are shared through leads",
            Contact::Email => "must not contain email addresses; contacts are shared through leads",
            Contact::Phone => "must not contain phone numbers; contacts are shared through leads",
            Contact::Handle => "must not contain social media handles; contacts are shared through leads",
        }
    }
}

/// Top-level domains people use to slip a site in (a host needs one).
const TLDS: &str = "com|net|org|in|io|co|me|app|dev|info|biz|xyz|link|ly|gl|be|to|site|online|store|shop|live|page|us|uk|ai|gg|tv|cc|tk|ws|id|pk|bd|lk|np|ae";

/// Technology names that look like hosts (`asp.net`).
const NOT_HOSTS: &[&str] = &["asp.net", "vb.net", "ado.net", "dot.net"];

static SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:h(?:tt|xx|\*\*|t\*|\*t)ps?|ftp)\s*:\s*/\s*/|\bwww\s*\.\s*[a-z0-9]|\b(?:bit\.ly|t\.me|wa\.me)/")
        .unwrap_or_else(|e| panic!("scheme pattern: {e}"))
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"[a-z0-9._%+-]+\s*@\s*[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:\s*\.\s*(?:{TLDS})\b|\.[a-z]{{2,6}}\b)"
    ))
    .unwrap_or_else(|e| panic!("email pattern: {e}"))
});
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b([a-z0-9][a-z0-9-]*(?:\s*\.\s*[a-z0-9-]+)*)\s*\.\s*({TLDS})\b(?:\s*/|[^a-z0-9.]|$)"
    ))
    .unwrap_or_else(|e| panic!("host pattern: {e}"))
});
static HANDLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^a-z0-9._%+@-])@[a-z_][a-z0-9._]{2,}|\b(?:insta(?:gram)?|ig|fb|facebook|twitter|telegram|tg|snap(?:chat)?|whatsapp|wa|linkedin|youtube|yt|tiktok|threads|discord|skype)\s*(?:id|handle|username)?\s*(?::|=|\s[-–]\s)\s*@?[a-z0-9_][a-z0-9._]{2,}",
    )
    .unwrap_or_else(|e| panic!("handle pattern: {e}"))
});
static STAND_INS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*(?:\[\s*(at|dot)\s*\]|\(\s*(at|dot)\s*\)|\{\s*(at|dot)\s*\}|<\s*(at|dot)\s*>)\s*")
        .unwrap_or_else(|e| panic!("stand-in pattern: {e}"))
});
static WORD_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\s+dot\s+({TLDS})\b")).unwrap_or_else(|e| panic!("word-dot pattern: {e}")));
static WORD_AT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"\b([a-z0-9._-]+)\s+at\s+([a-z0-9-]+)\.({TLDS})\b")).unwrap_or_else(|e| panic!("word-at: {e}"))
});

fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            // Full-width ASCII (U+FF01..U+FF5E) to ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3002}' | '\u{FF61}' | '\u{2024}' => '.',
            '\u{FE6B}' => '@',
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => continue,
            c => c,
        };
        out.extend(c.to_lowercase());
    }
    let out = STAND_INS.replace_all(&out, |c: &regex::Captures| {
        let word = (1..=4).find_map(|i| c.get(i)).map_or("", |m| m.as_str());
        if word == "at" {
            "@"
        } else {
            "."
        }
    });
    // "mail dot com" → "mail.com", then "name at mail.com" → "name@mail.com".
    let out = WORD_DOT.replace_all(&out, ".$1");
    WORD_AT.replace_all(&out, "$1@$2.$3").into_owned()
}

/// Digit words, for numbers spelled out.
fn digit_word(w: &str) -> Option<char> {
    Some(match w {
        "zero" | "oh" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        _ => return None,
    })
}

/// A run of 10 to 15 digits with at most two separators between digits
/// (spaces, `-`, `.`, `(`, `)`, `/`, `+`), or 7 or more digits spelled out
/// in a row.
fn has_phone(folded: &str) -> bool {
    let (mut digits, mut gap) = (0usize, 0usize);
    for c in folded.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            gap = 0;
        } else if digits > 0 && matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '+') && gap < 2 {
            gap += 1;
        } else {
            if (10..=15).contains(&digits) {
                return true;
            }
            digits = 0;
            gap = 0;
        }
        if digits > 15 {
            // A longer run is an id or a card, not a phone; it still hides one.
            return true;
        }
    }
    if (10..=15).contains(&digits) {
        return true;
    }
    let mut spelled = 0;
    for w in folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if digit_word(w).is_some() || (w.len() == 1 && w.chars().all(|c| c.is_ascii_digit())) {
            spelled += 1;
            if spelled >= 7 {
                return true;
            }
        } else {
            spelled = 0;
        }
    }
    false
}

/// The first kind of contact detail `text` carries, if any.
pub fn find(text: &str) -> Option<Contact> {
    let folded = fold(text);
    if SCHEME.is_match(&folded) {
        return Some(Contact::Url);
    }
    if EMAIL.is_match(&folded) {
        return Some(Contact::Email);
    }
    for c in HOST.captures_iter(&folded) {
        let host: String = c[0].chars().filter(|ch| !ch.is_whitespace()).collect();
        if !NOT_HOSTS.iter().any(|n| host.starts_with(n)) {
            return Some(Contact::Url);
        }
    }
    if has_phone(&folded) {
        return Some(Contact::Phone);
    }
    if HANDLE.is_match(&folded) {
        return Some(Contact::Handle);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguised_links_emails_and_phones_are_found() {
        let table: &[(&str, Contact)] = &[
            ("see example.com for more", Contact::Url),
            ("Portfolio: https://behance.net/me", Contact::Url),
            ("hxxp://my-site.in", Contact::Url),
            ("hxxps : // shots.io", Contact::Url),
            ("visit www.mystudio", Contact::Url),
            ("www . photos . in", Contact::Url),
            ("my site is example[dot]com", Contact::Url),
            ("example (dot) org", Contact::Url),
            ("example dot com", Contact::Url),
            ("find me on instagram.com/priya", Contact::Url),
            ("Ｅｘａｍｐｌｅ．ｃｏｍ", Contact::Url),
            ("bit.ly/abc123", Contact::Url),
            ("wa.me/919876543210", Contact::Url),
            ("mail priya@gmail.com", Contact::Email),
            ("priya [at] gmail [dot] com", Contact::Email),
            ("priya(at)gmail(dot)com", Contact::Email),
            ("priya at gmail dot com", Contact::Email),
            ("priya ＠ gmail . com", Contact::Email),
            ("write to name {at} mail {dot} in", Contact::Email),
            ("call 9876543210", Contact::Phone),
            ("call 98765 43210", Contact::Phone),
            ("+91 98765-43210", Contact::Phone),
            ("(987) 654-3210", Contact::Phone),
            ("9 8 7 6 5 4 3 2 1 0", Contact::Phone),
            ("98.76.54.32.10", Contact::Phone),
            ("nine eight seven six five four three two one zero", Contact::Phone),
            ("9 eight 7 six 5 four 3", Contact::Phone),
            ("ph: 98765\u{200B}43210", Contact::Phone),
            ("insta: @lena.clicks", Contact::Handle),
            ("follow me @lena_clicks", Contact::Handle),
            ("IG - lena.clicks", Contact::Handle),
            ("Telegram: lenaclicks", Contact::Handle),
            ("instagram handle: lena_clicks", Contact::Handle),
            ("@lenaclicks on the gram", Contact::Handle),
        ];
        for (text, kind) in table {
            assert_eq!(find(text), Some(*kind), "{text:?}");
        }
    }

    #[test]
    fn ordinary_text_that_only_looks_close_passes() {
        for text in [
            "Wedding and portrait photographer, 8 years, e.g. candid shoots.",
            "Sessions of 1.5 hours; i.e. ninety minutes.",
            "Full-stack developer: Node.js, React, ASP.NET and Vue.js.",
            "Worked 2015 - 2020 - 2024 with three studios.",
            "Packages from 1500 to 25000 INR.",
            "Available at weekends. Contact through the platform.",
            "I arrive at 5. Then we start.",
            "Rated 4.9 by 120 clients in 2023.",
            "Makeup for one, two or three people.",
            "Dot painting and calligraphy.",
            "Meet at the studio. Done in 3 days.",
            "Version 2.0 of my portfolio.",
            "I post reels on Instagram and YouTube.",
            "Sessions @ 2 hours each, 10 - 12 guests, starts @10am.",
            "Telegram-style quick replies: within a day.",
            "",
        ] {
            assert_eq!(find(text), None, "{text:?}");
        }
    }
}
