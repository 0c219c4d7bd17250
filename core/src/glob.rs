//! `fnmatch(3)` as glibc implements it (without `FNM_PATHNAME`): the one matcher behind unit
//! name patterns (`list-units PATTERN`, presets, `journalctl -u`), condition values
//! (`$=`, `ConditionHost=`) and file name globs (`ConditionPathExistsGlob=`,
//! `EnvironmentFile=`).

#[derive(Debug, Clone, Copy, Default)]
pub struct MatchFlags {
    /// `FNM_NOESCAPE`: a backslash is an ordinary character (systemd matches unit name
    /// patterns this way).
    pub noescape: bool,
    /// `FNM_CASEFOLD` (`ConditionHost=`).
    pub casefold: bool,
    /// `FNM_PERIOD`: a leading `.` must be matched literally (globbing file names).
    pub period: bool,
}

impl MatchFlags {
    /// How systemd matches unit names against patterns.
    pub const UNIT_NAME: MatchFlags = MatchFlags {
        noescape: true,
        casefold: false,
        period: false,
    };

    /// How `glob(3)` matches one path component: a leading `.` only explicitly.
    pub const FILE_NAME: MatchFlags = MatchFlags {
        noescape: false,
        casefold: false,
        period: true,
    };
}

/// Whether `s` has any of the characters that make it a pattern.
pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Unit name matching: `fnmatch(pattern, name, FNM_NOESCAPE)`.
pub fn unit_name_matches(pattern: &str, name: &str) -> bool {
    fnmatch(pattern, name, MatchFlags::UNIT_NAME)
}

/// `*`, `?`, `[…]` (with `!`/`^`, ranges and `[:class:]`) and, unless `noescape`, backslash
/// escapes. An unterminated `[` is a literal. Iterative with one backtrack point for the
/// last `*`, so never exponential.
pub fn fnmatch(pattern: &str, text: &str, flags: MatchFlags) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let escapes = !flags.noescape;
    if flags.period && t.first() == Some(&'.') {
        let literal_dot = match p.first() {
            Some('.') => true,
            Some('\\') if escapes => p.get(1) == Some(&'.'),
            _ => false,
        };
        if !literal_dot {
            return false;
        }
    }
    let same = |a: char, b: char| {
        if flags.casefold {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        let advanced = match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => match bracket(&p, pi, t[ti], flags) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                None => same('[', t[ti]).then_some(pi + 1),
            },
            Some('\\') if escapes && pi + 1 < p.len() => same(p[pi + 1], t[ti]).then_some(pi + 2),
            Some(&c) => same(c, t[ti]).then_some(pi + 1),
            None => None,
        };
        match advanced {
            Some(next) => {
                pi = next;
                ti += 1;
            }
            None => match backtrack {
                Some((star, from)) => {
                    pi = star + 1;
                    ti = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the bracket expression starting at `p[start] == '['`: whether it
/// matched and where the pattern continues; `None` if the bracket is not terminated.
fn bracket(p: &[char], start: usize, c: char, flags: MatchFlags) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let fold = |x: char| {
        if flags.casefold {
            x.to_lowercase().next().unwrap_or(x)
        } else {
            x
        }
    };
    // One bracket member, escaped or not: the character and where the pattern goes on.
    let member = |at: usize| -> Option<(char, usize)> {
        match *p.get(at)? {
            '\\' if !flags.noescape => Some((*p.get(at + 1)?, at + 2)),
            here => Some((here, at + 1)),
        }
    };
    let c = fold(c);
    let mut matched = false;
    let mut first = true;
    loop {
        let &here = p.get(i)?;
        if here == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if here == '[' && p.get(i + 1) == Some(&':') {
            let rest: String = p[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let class = &rest[..end];
                matched |= class_matches(class, c);
                i += 2 + class.chars().count() + 2;
                continue;
            }
        }
        let (lo, next) = member(i)?;
        if p.get(next) == Some(&'-') && p.get(next + 1).is_some_and(|&h| h != ']') {
            let (hi, after) = member(next + 1)?;
            matched |= fold(lo) <= c && c <= fold(hi);
            i = after;
        } else {
            matched |= fold(lo) == c;
            i = next;
        }
    }
}

fn class_matches(class: &str, c: char) -> bool {
    match class {
        "alpha" => c.is_ascii_alphabetic(),
        "digit" => c.is_ascii_digit(),
        "alnum" => c.is_ascii_alphanumeric(),
        "upper" => c.is_ascii_uppercase(),
        "lower" => c.is_ascii_lowercase(),
        "space" => c.is_ascii_whitespace() || c == '\x0b',
        "blank" => c == ' ' || c == '\t',
        "punct" => c.is_ascii_punctuation(),
        "xdigit" => c.is_ascii_hexdigit(),
        "cntrl" => c.is_ascii_control(),
        "print" => c.is_ascii_graphic() || c == ' ',
        "graph" => c.is_ascii_graphic(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_match_without_escapes() {
        let m = unit_name_matches;
        assert!(m("*", "foo.service"));
        assert!(m("*.service", "a.service"));
        assert!(m("*.service", ".service"));
        assert!(!m("*.service", "foo.socket"));
        assert!(m("foo*.service", "foo-bar.service"));
        assert!(!m("foo*.service", "bar.service"));
        assert!(m("ng*", "nginx.service"));
        assert!(!m("ng*", "apache.service"));
        assert!(m("f?o.*", "foo.socket"));
        assert!(m("a?c.service", "abc.service"));
        assert!(m("[ab]*.target", "b.target"));
        assert!(!m("[!ab]*.target", "b.target"));
        assert!(m("[a-c]x.service", "bx.service"));
        assert!(!m("[!a-c]x.service", "bx.service"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxaxxbxxc"));
        assert!(m("*a*b*c", "xxaxxbxxc"));
        assert!(m("[x", "[x"));
        assert!(m("a\\b", "a\\b"));
        // `systemctl list-unit-files 'a\x2db*'` (systemd 252): the backslash is literal.
        assert!(m("a\\x2db*", "a\\x2db.service"));
        assert!(!m("a\\x2db*", "ax2db.service"));
        assert!(!m("a\\x2db*", "a-b.service"));
        assert!(m("a[\\]x2db*", "a\\x2db.service"));
        assert!(m("x@a@*", "x@a@b.service"));
        assert!(m("a\\*", "a\\b.service"));
        assert!(!m("a\\*", "a*"));
        assert!(m("*", ""));
    }

    #[test]
    fn globs_as_fnmatch_reads_them() {
        let f = MatchFlags::default();
        assert!(fnmatch("6*", "6.18.44", f));
        assert!(fnmatch("web?", "web1", f));
        assert!(!fnmatch("web?", "web12", f));
        assert!(fnmatch("web[0-9]", "web7", f));
        assert!(!fnmatch("web[!0-9]", "web7", f));
        assert!(fnmatch("a[]]b", "a]b", f));
        assert!(fnmatch("[[:digit:]]x", "3x", f));
        assert!(fnmatch("a\\*", "a*", f));
        assert!(!fnmatch("a\\*", "ab", f));
        assert!(fnmatch("a[b", "a[b", f));
        assert!(fnmatch("*a*b*", "xxaxxbxx", f));
        assert!(fnmatch("ng?nx*", "nginx.service", f));
        assert!(fnmatch("[a-c]x.target", "bx.target", f));
        assert!(!fnmatch("[!a-c]x.target", "bx.target", f));
        assert!(!fnmatch("*.socket", "a.service", f));
        assert!(fnmatch("web-*.service", "web-1.service", f));
        assert!(!fnmatch("web-*.service", "db.service", f));
        assert!(!fnmatch("WEB*", "web1", f));
        let fold = MatchFlags {
            casefold: true,
            ..f
        };
        assert!(fnmatch("WEB*", "web1", fold));
        assert!(fnmatch("[A-C]x", "bx", fold));
        let period = MatchFlags { period: true, ..f };
        assert!(!fnmatch("*", ".hidden", period));
        assert!(fnmatch(".*", ".hidden", period));
        assert!(fnmatch("*", ".hidden", f));
    }

    #[test]
    fn noescape_keeps_backslashes_in_brackets() {
        let f = MatchFlags::UNIT_NAME;
        assert!(fnmatch("[\\]x", "\\x", f));
        assert!(!fnmatch("a\\*", "a*", f));
        assert!(fnmatch("[\\a]x", "ax", MatchFlags::default()));
    }
}
