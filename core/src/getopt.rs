//! `getopt_long()` as glibc does it for systemd's small tools (systemd-tmpfiles,
//! systemd-sysusers): `--name`, `--name=value`, `--name value`, unique prefixes of long
//! names, bundled short flags, `--` ends the options, operands anywhere (permuted), and
//! glibc's messages for mistakes (`PROG: unrecognized option '--x'`).

/// One option: its long name, its short letter, whether it takes a value.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub long: &'static str,
    pub short: Option<char>,
    pub value: bool,
}

/// A parsed option (by long name) with its value, or an operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Opt(&'static str, Option<String>),
    Operand(String),
}

/// Parses `args` (without argv[0]); `prog` is argv[0] for the messages.
pub fn parse(prog: &str, args: &[String], table: &[Opt]) -> Result<Vec<Arg>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            out.extend(it.by_ref().map(|a| Arg::Operand(a.clone())));
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let exact = table.iter().find(|o| o.long == name);
            let prefixed: Vec<&Opt> = table.iter().filter(|o| o.long.starts_with(name)).collect();
            let opt = match (exact, prefixed.as_slice()) {
                (Some(o), _) => o,
                (None, [o]) => *o,
                (None, []) => return Err(format!("{prog}: unrecognized option '--{name}'")),
                (None, _) => return Err(format!("{prog}: option '--{name}' is ambiguous")),
            };
            if opt.value {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| {
                        format!("{prog}: option '--{}' requires an argument", opt.long)
                    })?,
                };
                out.push(Arg::Opt(opt.long, Some(value)));
            } else if inline.is_some() {
                return Err(format!(
                    "{prog}: option '--{}' doesn't allow an argument",
                    opt.long
                ));
            } else {
                out.push(Arg::Opt(opt.long, None));
            }
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let letters: Vec<char> = arg[1..].chars().collect();
            for (n, c) in letters.iter().enumerate() {
                let Some(opt) = table.iter().find(|o| o.short == Some(*c)) else {
                    return Err(format!("{prog}: invalid option -- '{c}'"));
                };
                if opt.value {
                    let rest: String = letters[n + 1..].iter().collect();
                    let value = if !rest.is_empty() {
                        rest
                    } else {
                        it.next().cloned().ok_or_else(|| {
                            format!("{prog}: option requires an argument -- '{c}'")
                        })?
                    };
                    out.push(Arg::Opt(opt.long, Some(value)));
                    break;
                }
                out.push(Arg::Opt(opt.long, None));
            }
            continue;
        }
        out.push(Arg::Operand(arg.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[Opt] = &[
        Opt {
            long: "root",
            short: None,
            value: true,
        },
        Opt {
            long: "create",
            short: None,
            value: false,
        },
        Opt {
            long: "help",
            short: Some('h'),
            value: false,
        },
        Opt {
            long: "E",
            short: Some('E'),
            value: false,
        },
    ];

    #[test]
    fn long_short_operands() {
        let args: Vec<String> = [
            "a.conf",
            "--root",
            "/r",
            "--cr",
            "-hE",
            "--root=/s",
            "--",
            "--x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let parsed = parse("p", &args, T).unwrap();
        assert_eq!(parsed[0], Arg::Operand("a.conf".into()));
        assert_eq!(parsed[1], Arg::Opt("root", Some("/r".into())));
        assert_eq!(parsed[2], Arg::Opt("create", None));
        assert_eq!(parsed[4], Arg::Opt("E", None));
        assert_eq!(parsed[5], Arg::Opt("root", Some("/s".into())));
        assert_eq!(parsed[6], Arg::Operand("--x".into()));
        let bad = parse("p", &["--bogus".to_string()], T).unwrap_err();
        assert_eq!(bad, "p: unrecognized option '--bogus'");
        let missing = parse("p", &["--root".to_string()], T).unwrap_err();
        assert_eq!(missing, "p: option '--root' requires an argument");
    }
}
