//! One tmpfiles.d(5) line → an [`Item`], as systemd 252's `parse_line()`: the six fields
//! (`EXTRACT_UNQUOTE`), the argument (the rest, C-unescaped for the types that write it),
//! modifiers `+ ! - =`, modes with `~`, ages with `~` and `age-by:`, specifiers, users and
//! groups of the root's database, `/var/run` → `/run`, `--prefix`/`--exclude-prefix`.

use super::spec;
use super::{Item, Kind, Options};
use crate::users::UserDb;

/// Why a line was not taken: `invalid` lines make the exit code `EX_DATAERR` (65).
#[derive(Debug)]
pub struct LineError {
    pub invalid: bool,
    pub message: String,
}

/// A line skipped quietly in the middle of parsing (an unresolvable specifier): an error
/// without message.
struct Skip;

impl From<Skip> for LineError {
    fn from(_: Skip) -> Self {
        LineError {
            invalid: false,
            message: String::new(),
        }
    }
}

fn invalid(message: impl Into<String>) -> LineError {
    LineError {
        invalid: true,
        message: message.into(),
    }
}

/// The outcome of one line: an item, nothing (skipped quietly), or an error to print.
pub type Parsed = Result<Option<Item>, LineError>;

/// `extract_first_word(EXTRACT_UNQUOTE)`: whitespace separates, quotes group, a backslash
/// takes the next character literally. Returns the word and the rest after the separators.
fn next_word(s: &str) -> Result<Option<(String, &str)>, LineError> {
    let s = s.trim_start_matches(is_ws);
    if s.is_empty() {
        return Ok(None);
    }
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    let mut end = s.len();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (None, c) if is_ws(c) => {
                end = i;
                break;
            }
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => match chars.next() {
                Some((_, n)) => word.push(n),
                None => return Err(invalid("Failed to parse line: Invalid argument")),
            },
            (_, c) => word.push(c),
        }
    }
    if quote.is_some() {
        return Err(invalid("Failed to parse line: Invalid argument"));
    }
    Ok(Some((word, s[end..].trim_start_matches(is_ws))))
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn empty_or_dash(s: &str) -> bool {
    s.is_empty() || s == "-"
}

/// systemd's `cunescape()` (no flags): `\n \t \xNN \NNN \uNNNN …`; anything else fails,
/// through the unit parser's one C-escape decoder.
pub fn cunescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        crate::unit::value::unescape_c(e, &mut chars, &mut out, false).ok()?;
    }
    (!out.contains('\0')).then_some(out)
}

/// `path_simplify()`: duplicate slashes, `.` components and a trailing slash go.
pub fn simplify(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// `path_startswith()` for normalized absolute paths, component-wise.
pub fn path_starts_with(path: &str, prefix: &str) -> bool {
    let prefix = simplify(prefix);
    if prefix == "/" {
        return true;
    }
    path == prefix
        || path
            .strip_prefix(&prefix)
            .is_some_and(|r| r.starts_with('/'))
}

fn parse_mode(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(s, 8).ok().filter(|m| *m <= 0o7777)
}

/// `parse_dev()`: `MAJOR:MINOR`.
fn parse_dev(s: &str) -> Option<u64> {
    let (a, b) = s.split_once(':')?;
    let num = |t: &str| -> Option<u32> {
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (major, minor) = (num(a)?, num(b)?);
    (major < 1 << 12 && minor < 1 << 20).then(|| libc::makedev(major, minor))
}

pub const AGE_BY_ATIME: u8 = 1;
pub const AGE_BY_BTIME: u8 = 2;
pub const AGE_BY_CTIME: u8 = 4;
pub const AGE_BY_MTIME: u8 = 8;
pub const AGE_BY_DEFAULT_FILE: u8 = 15;
pub const AGE_BY_DEFAULT_DIR: u8 = 11;

fn parse_age_by(s: &str) -> Option<(u8, u8)> {
    let (mut f, mut d) = (0u8, 0u8);
    for c in s.chars().filter(|c| !is_ws(*c)) {
        let bit = match c.to_ascii_lowercase() {
            'a' => AGE_BY_ATIME,
            'b' => AGE_BY_BTIME,
            'c' => AGE_BY_CTIME,
            'm' => AGE_BY_MTIME,
            _ => return None,
        };
        if c.is_ascii_lowercase() {
            f |= bit
        } else {
            d |= bit
        }
    }
    if f == 0 && d == 0 {
        return None;
    }
    Some((
        if f > 0 { f } else { AGE_BY_DEFAULT_FILE },
        if d > 0 { d } else { AGE_BY_DEFAULT_DIR },
    ))
}

/// `chattr` letters (`parse_attribute_from_arg()`): value and mask.
fn parse_attributes(arg: &str, path: &str) -> Result<(u32, u32), LineError> {
    const TABLE: &[(char, u32)] = &[
        ('A', 0x80),
        ('S', 0x8),
        ('D', 0x10000),
        ('a', 0x20),
        ('c', 0x4),
        ('d', 0x40),
        ('e', 0x80000),
        ('i', 0x10),
        ('j', 0x40000),
        ('s', 0x1),
        ('u', 0x2),
        ('t', 0x8000),
        ('T', 0x20000),
        ('C', 0x800000),
        ('P', 0x20000000),
    ];
    let (mode, rest) = match arg.chars().next() {
        Some('+') => ('+', &arg[1..]),
        Some('-') => ('-', &arg[1..]),
        Some('=') => ('=', &arg[1..]),
        _ => ('+', arg),
    };
    if rest.is_empty() && mode != '=' {
        return Err(LineError {
            invalid: false,
            message: format!(
                "Setting file attribute on '{path}' needs an attribute specification."
            ),
        });
    }
    let (mut value, mut mask) = (0u32, 0u32);
    for c in rest.chars() {
        let Some((_, v)) = TABLE.iter().find(|(l, _)| *l == c) else {
            // 252 logs this one without the file and line.
            eprintln!("Unknown file attribute '{c}' on '{path}'.");
            return Err(invalid(""));
        };
        if mode != '-' {
            value |= v;
        }
        mask |= v;
    }
    if mode == '=' {
        mask |= TABLE.iter().fold(0, |a, (_, v)| a | v);
    }
    Ok((value, mask))
}

/// `parse_xattrs_from_arg()`: `name=value` words; malformed ones are warned about.
fn parse_xattrs(arg: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = arg;
    loop {
        let (word, next) = match next_word(rest) {
            Ok(Some((w, n))) => (w, n),
            Ok(None) => break,
            Err(_) => {
                eprintln!(
                    "Failed to parse extended attribute '{rest}', ignoring: Invalid argument"
                );
                break;
            }
        };
        rest = next;
        let word = cunescape(&word).unwrap_or(word);
        match word.split_once('=') {
            None => eprintln!("Failed to parse extended attribute, ignoring: {word}"),
            Some((n, v)) if n.is_empty() || v.is_empty() => {
                eprintln!("Malformed extended attribute found, ignoring: {word}")
            }
            Some((n, v)) => out.push((n.to_string(), v.to_string())),
        }
    }
    out
}

/// A user or group field: a number, `root`, or a name in the database.
fn find_id(spec: &str, by_name: impl Fn(&str) -> Option<u32>) -> Option<u32> {
    if let Some(id) = crate::users::parse_id(spec) {
        return Some(id);
    }
    if spec == "root" {
        return Some(0);
    }
    by_name(spec)
}

pub struct LineContext<'a> {
    pub opts: &'a Options,
    pub db: &'a UserDb,
    /// `FILE:LINE`, the prefix of the warnings printed while parsing.
    pub location: String,
}

/// Parses one stripped, non-comment line.
pub fn parse_line(ctx: &LineContext, line: &str) -> Parsed {
    let opts = ctx.opts;
    let mut rest = line;
    let mut fields: Vec<String> = Vec::new();
    while fields.len() < 6 {
        match next_word(rest)? {
            Some((w, r)) => {
                fields.push(w);
                rest = r;
            }
            None => {
                rest = "";
                break;
            }
        }
    }
    if fields.len() < 2 {
        return Err(invalid("Syntax error."));
    }
    let field = |n: usize| fields.get(n).map(String::as_str).unwrap_or("");
    let action = field(0);
    let mut argument = (!empty_or_dash(rest)).then(|| rest.to_string());
    if action.is_empty() {
        return Err(invalid(format!("Command too short '{action}'.")));
    }
    let (mut boot, mut plus, mut minus, mut replace) = (false, false, false, false);
    let (mut unbase64, mut from_cred) = (false, false);
    for c in action.chars().skip(1) {
        let flag = match c {
            '!' => &mut boot,
            '+' => &mut plus,
            '-' => &mut minus,
            '=' => &mut replace,
            '~' => &mut unbase64,
            '^' => &mut from_cred,
            _ => return Err(invalid(format!("Unknown modifiers in command '{action}'"))),
        };
        if *flag {
            return Err(invalid(format!("Unknown modifiers in command '{action}'")));
        }
        *flag = true;
    }
    if boot && !opts.boot {
        return Ok(None);
    }
    let type_char = action.chars().next().unwrap_or(' ');
    let path = match spec::expand_checked(field(1), opts) {
        Ok(p) => p,
        Err(spec::SpecError::Unresolvable) => return Ok(None),
        Err(spec::SpecError::Unknown) => {
            return Err(invalid(format!(
                "Failed to replace specifiers in '{}': Invalid slot",
                field(1)
            )))
        }
    };
    let path = match path.strip_prefix("/var/run/") {
        Some(rest) if !rest.is_empty() => format!("/run/{rest}"),
        _ => path,
    };
    let Some(kind) = Kind::from_char(type_char) else {
        return Err(invalid(format!("Unknown command type '{type_char}'.")));
    };
    let mut item = Item::new(kind, path);
    item.append_or_force = plus;
    item.allow_failure = minus;
    item.try_replace = replace;
    use Kind::*;
    match kind {
        CreateDirectory
        | CreateSubvolume
        | CreateSubvolumeInheritQuota
        | CreateSubvolumeNewQuota
        | EmptyDirectory
        | TruncateDirectory
        | CreateFifo
        | IgnorePath
        | IgnoreDirectoryPath
        | RemovePath
        | RecursiveRemovePath
        | AdjustMode
        | RelabelPath
        | RecursiveRelabelPath => {
            if argument.is_some() {
                eprintln!(
                    "{}: {type_char} lines don't take argument fields, ignoring.",
                    ctx.location
                );
            }
        }
        CreateFile | TruncateFile => {}
        CreateSymlink => {
            if argument.is_none() {
                argument = Some(format!("/usr/share/factory{}", item.logical));
            }
        }
        WriteFile => {
            if argument.is_none() {
                return Err(invalid("Write file requires argument."));
            }
        }
        CopyFiles => match &argument {
            None => argument = Some(format!("/usr/share/factory{}", item.logical)),
            Some(a) if !a.starts_with('/') => {
                return Err(invalid(format!("Source path '{a}' is not absolute.")))
            }
            Some(_) => {}
        },
        CreateCharDevice | CreateBlockDevice => {
            let Some(a) = &argument else {
                return Err(invalid("Device file requires argument."));
            };
            item.major_minor = parse_dev(a)
                .ok_or_else(|| invalid(format!("Can't parse device file major/minor '{a}'.")))?;
        }
        SetXattr | RecursiveSetXattr => {
            let Some(a) = &argument else {
                return Err(invalid("Set extended attribute requires argument."));
            };
            item.xattrs = parse_xattrs(a);
        }
        SetAcl | RecursiveSetAcl => {
            if argument.is_none() {
                return Err(invalid("Set ACLs requires argument."));
            }
        }
        SetAttribute | RecursiveSetAttribute => {
            let Some(a) = &argument else {
                return Err(invalid("Set file attribute requires argument."));
            };
            item.attributes = Some(parse_attributes(a, &item.logical)?);
        }
    }
    if !item.logical.starts_with('/') {
        return Err(invalid(format!("Path '{}' not absolute.", item.logical)));
    }
    item.logical = simplify(&item.logical);
    if !should_include(opts, &item.logical) {
        return Ok(None);
    }
    if from_cred {
        let Some(name) = &argument else {
            return Err(LineError {
                invalid: false,
                message: "Reading from credential requested, but no credential name specified."
                    .into(),
            });
        };
        let valid = !name.is_empty()
            && name.len() <= 255
            && !name.contains('/')
            && name != "."
            && name != "..";
        if !valid {
            return Err(LineError {
                invalid: false,
                message: format!("Credential name not valid: {name}"),
            });
        }
        // A credential that is not passed skips the line quietly.
        let dir = std::env::var_os("CREDENTIALS_DIRECTORY").ok_or(Skip)?;
        let data = std::fs::read(std::path::Path::new(&dir).join(name)).map_err(|_| Skip)?;
        item.binary = Some(data);
    }
    if unbase64 {
        let source = match item.binary.take() {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => argument.clone().unwrap_or_default(),
        };
        item.binary = Some(base64_decode(&source).ok_or_else(|| LineError {
            invalid: false,
            message: format!(
                "Failed to base64 decode specified argument '{source}': Invalid argument"
            ),
        })?);
    }
    if let Some(a) = argument.as_ref().filter(|_| item.binary.is_none()) {
        if matches!(
            kind,
            CopyFiles | CreateSymlink | CreateFile | TruncateFile | WriteFile
        ) {
            let unescaped = cunescape(a).ok_or_else(|| LineError {
                invalid: false,
                message: format!("Failed to unescape parameter to write: {a}"),
            })?;
            argument = Some(arg_specifiers(&unescaped, opts)?.ok_or(Skip)?);
        }
        if matches!(kind, SetXattr | RecursiveSetXattr) {
            for (_, v) in item.xattrs.iter_mut() {
                *v = arg_specifiers(v, opts)?.ok_or(Skip)?;
            }
        }
    }
    if kind == CopyFiles {
        if let Some(a) = &argument {
            let source = simplify(&opts.root_join(a));
            // A missing copy source skips the line quietly (252.38).
            if std::fs::symlink_metadata(&source).is_err() {
                return Ok(None);
            }
            argument = Some(source);
        }
    }
    item.argument = argument;
    item.path = opts.root_join(&item.logical);

    let (mode, user, group, age) = (field(2), field(3), field(4), field(5));
    // `:` in front: applied only to inodes this run creates.
    let (user, group, mode) = (
        only_create(user, &mut item.uid_only_create),
        only_create(group, &mut item.gid_only_create),
        only_create(mode, &mut item.mode_only_create),
    );
    // `find_uid()`: with --root, the root's passwd; without, the host's (our "NSS").
    if !empty_or_dash(user) {
        let uid = find_id(user, |n| ctx.db.user_by_name(n).map(|u| u.uid));
        item.uid =
            Some(uid.ok_or_else(|| {
                invalid(format!("Failed to resolve user '{user}': No such process"))
            })?);
    }
    if !empty_or_dash(group) {
        let gid = find_id(group, |n| ctx.db.group_by_name(n).map(|g| g.gid));
        item.gid = Some(gid.ok_or_else(|| invalid(format!("Failed to resolve group '{group}'.")))?);
    }
    if !empty_or_dash(mode) {
        let m = mode.strip_prefix('~');
        item.mask_perms = m.is_some();
        item.mode = parse_mode(m.unwrap_or(mode))
            .ok_or_else(|| invalid(format!("Invalid mode '{mode}'.")))?;
        item.mode_set = true;
    } else {
        item.mode = if kind.is_directory_like() {
            0o755
        } else {
            0o644
        };
    }
    if !empty_or_dash(age) {
        let mut a = age;
        if let Some(r) = a.strip_prefix('~') {
            item.keep_first_level = true;
            a = r;
        }
        if let Some((by, seconds)) = a.split_once(':') {
            let (f, d) =
                parse_age_by(by).ok_or_else(|| invalid(format!("Invalid age-by '{by}'.")))?;
            item.age_by_file = f;
            item.age_by_dir = d;
            a = seconds;
        }
        item.age =
            Some(crate::time::parse_sec(a).map_err(|_| invalid(format!("Invalid age '{a}'.")))?);
    }
    Ok(Some(item))
}

fn only_create<'a>(field: &'a str, flag: &mut bool) -> &'a str {
    match field.strip_prefix(':') {
        Some(rest) => {
            *flag = true;
            rest
        }
        None => field,
    }
}

/// `unbase64mem()`: RFC 4648 with padding; whitespace is ignored.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for (n, chunk) in clean.chunks(4).enumerate() {
        let last = n + 1 == clean.len() / 4;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = acc << 6 | value(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// `specifier_expansion_from_arg()`: `None` when unresolvable (the line is skipped).
fn arg_specifiers(text: &str, opts: &Options) -> Result<Option<String>, LineError> {
    match spec::expand_checked(text, opts) {
        Ok(v) => Ok(Some(v)),
        Err(spec::SpecError::Unresolvable) => Ok(None),
        Err(spec::SpecError::Unknown) => Err(invalid(
            "Failed to substitute specifiers in argument: Invalid slot",
        )),
    }
}

/// `should_include_path()`: excluded prefixes win, then the included ones (if any).
fn should_include(opts: &Options, path: &str) -> bool {
    if opts
        .exclude_prefixes
        .iter()
        .any(|p| path_starts_with(path, p))
    {
        return false;
    }
    opts.include_prefixes.is_empty()
        || opts
            .include_prefixes
            .iter()
            .any(|p| path_starts_with(path, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_unquote_and_escape() {
        let (w, r) = next_word("  \"a b\"c\\ d  rest of  ").unwrap().unwrap();
        assert_eq!(w, "a bc d");
        assert_eq!(r, "rest of  ");
        assert!(next_word("\"open").is_err());
        assert!(next_word("   ").unwrap().is_none());
    }

    #[test]
    fn escapes_modes_ages_devices() {
        assert_eq!(cunescape("a\\nb\\x41\\101\\\\").unwrap(), "a\nbAA\\");
        assert!(cunescape("\\q").is_none());
        assert_eq!(parse_mode("1777"), Some(0o1777));
        assert_eq!(parse_mode("0999"), None);
        assert_eq!(parse_mode("17777"), None);
        assert_eq!(parse_dev("1:3"), Some(libc::makedev(1, 3)));
        assert_eq!(parse_dev("1"), None);
        assert_eq!(parse_age_by("aM"), Some((AGE_BY_ATIME, AGE_BY_MTIME)));
        assert_eq!(parse_age_by("x"), None);
        assert_eq!(simplify("//a/./b//"), "/a/b");
        assert_eq!(base64_decode("aGVsbG8K").unwrap(), b"hello\n");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("!!!").is_none());
        assert!(path_starts_with("/run/a", "/run"));
        assert!(!path_starts_with("/runx", "/run"));
    }
}
