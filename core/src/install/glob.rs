//! `fnmatch(3)` with `FNM_NOESCAPE`, as systemd matches unit name patterns (preset rules,
//! `list-unit-files PATTERN`): `*`, `?` and bracket expressions; a backslash is literal.

pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches_at(&p, &n)
}

fn matches_at(p: &[char], n: &[char]) -> bool {
    // Iterative matcher with one backtrack point for the last `*` (linear for the usual
    // patterns, never exponential).
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, len)) = bracket(&p[pi..], n[ni]) {
                        if matched {
                            pi += len;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the bracket expression at the start of `p`; `None` when the
/// expression is not closed (then `[` is literal). Returns (matched, length).
fn bracket(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &lo = p.get(i)?;
        if lo == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&hi| hi != ']') {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
}

pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn wildcards_and_brackets() {
        assert!(fnmatch("*", "foo.service"));
        assert!(fnmatch("foo*.service", "foo-bar.service"));
        assert!(!fnmatch("foo*.service", "bar.service"));
        assert!(fnmatch("f?o.*", "foo.socket"));
        assert!(fnmatch("[a-c]x.service", "bx.service"));
        assert!(!fnmatch("[!a-c]x.service", "bx.service"));
        assert!(fnmatch("a\\b", "a\\b"));
        assert!(fnmatch("[x", "[x"));
        assert!(fnmatch("*.service", ".service"));
        assert!(!fnmatch("*.service", "foo.socket"));
        assert!(fnmatch("*a*b*c", "xxaxxbxxc"));
    }
}
