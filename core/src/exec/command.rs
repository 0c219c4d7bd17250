//! Command lines of `ExecStart=` and friends (systemd.service(5) "Command lines"): prefixes,
//! quoting, `;`-separated commands, `%` specifiers at load time, `$VAR` expansion at exec
//! time, and the lookup of bare executable names.

use super::environment::EnvBlock;
use crate::unit::value::{split_words, SplitOptions};
use std::path::{Path, PathBuf};

/// Where a bare executable name is looked up: systemd 252's compiled-in search path (split
/// `/usr` build, as Debian's), never the caller's `$PATH`.
pub const DEFAULT_SEARCH_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The special prefixes of an executable (`-@:+!`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecFlags {
    /// `-`: a failure is recorded but counts as success.
    pub ignore_failure: bool,
    /// `@`: the second word is argv[0].
    pub separate_argv0: bool,
    /// `:`: no `$VAR` expansion.
    pub no_env_expand: bool,
    /// `+`: no User=/Group=/RootDirectory=/… for this command.
    pub full_privileges: bool,
    /// `!` (and `!!`, which only differs on kernels without ambient capabilities): skip
    /// only the User=/Group=/SupplementaryGroups= change.
    pub no_setuid: bool,
    /// `!!` was written (`no_setuid` is set too): `systemctl show` reports it as `ambient`.
    pub ambient: bool,
}

/// One command of an `Exec*=` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCommand {
    /// The executable as written: an absolute path or a bare file name (see
    /// [`resolve_executable`]), specifiers resolved.
    pub path: String,
    /// The arguments including argv[0], before `$VAR` expansion.
    pub argv: Vec<String>,
    pub flags: ExecFlags,
}

/// Why a command line was rejected. systemd logs it; without the `-` prefix the unit does
/// not load (`bad-setting`), with it the line is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecLineError {
    pub message: String,
    /// True when the line had the `-` prefix: the error is a warning and the unit loads.
    pub ignored: bool,
}

impl std::fmt::Display for ExecLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of one `Exec*=` assignment: the commands parsed before any error (systemd
/// keeps them) and the error, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedExecLine {
    pub commands: Vec<ExecCommand>,
    pub error: Option<ExecLineError>,
}

/// A raw word of the value and its unquoted form.
struct Word<'a> {
    raw: &'a str,
    text: String,
}

/// Splits off the next word: `raw` is the exact source text (so `;` and `\;` can be told
/// apart from `";"`), `text` is unquoted with C escapes decoded.
fn next_word<'a>(rest: &mut &'a str) -> Result<Option<Word<'a>>, String> {
    let s = rest.trim_start();
    if s.is_empty() {
        *rest = s;
        return Ok(None);
    }
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (None, c) if c.is_whitespace() => {
                end = i;
                break;
            }
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    let raw = &s[..end];
    *rest = &s[end..];
    let opts = SplitOptions {
        c_unescape: true,
        relax: false,
    };
    let text = split_words(raw, opts)?
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok(Some(Word { raw, text }))
}

/// Parses one `Exec*=` value into its commands. `specifiers` resolves `%` specifiers in
/// each unquoted word (systemd resolves them after unquoting, word by word).
pub fn parse_exec_line(
    value: &str,
    specifiers: &dyn Fn(&str) -> Result<String, String>,
) -> ParsedExecLine {
    let mut out = ParsedExecLine::default();
    let mut rest = value;
    loop {
        match parse_one_command(&mut rest, value, specifiers) {
            Ok(Some(cmd)) => out.commands.push(cmd),
            Ok(None) => {}
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
        if rest.trim().is_empty() {
            break;
        }
    }
    out
}

fn parse_one_command(
    rest: &mut &str,
    whole: &str,
    specifiers: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Option<ExecCommand>, ExecLineError> {
    let fatal = |message: String| ExecLineError {
        message,
        ignored: false,
    };
    let first = match next_word(rest) {
        Ok(Some(w)) => w,
        Ok(None) => return Ok(None),
        Err(e) => return Err(fatal(format!("Invalid syntax, ignoring: {whole} ({e})"))),
    };
    // A lone `;` separates commands; an empty command between two is skipped.
    if first.text == ";" {
        return Ok(None);
    }
    let mut flags = ExecFlags::default();
    let mut prefix_len = 0;
    let mut ambient = false;
    let mut chars = first.text.chars().peekable();
    while let Some(&c) = chars.peek() {
        let privileged = flags.full_privileges || flags.no_setuid;
        match c {
            '-' if !flags.ignore_failure => flags.ignore_failure = true,
            '@' if !flags.separate_argv0 => flags.separate_argv0 = true,
            ':' if !flags.no_env_expand => flags.no_env_expand = true,
            '+' if !privileged => flags.full_privileges = true,
            '!' if !privileged => flags.no_setuid = true,
            // `!!` is the ambient-capabilities fallback; every kernel we run on has ambient
            // capabilities, where it means exactly `!`.
            '!' if flags.no_setuid && !ambient && first.text[..prefix_len].ends_with('!') => {
                ambient = true
            }
            _ => break,
        }
        prefix_len += c.len_utf8();
        chars.next();
    }
    flags.ambient = ambient;
    let ignore = flags.ignore_failure;
    let err = |message: String| ExecLineError {
        message: if ignore {
            format!("{message}, ignoring: {whole}")
        } else {
            format!("{message}: {whole}")
        },
        ignored: ignore,
    };
    let path = specifiers(&first.text[prefix_len..])
        .map_err(|e| err(format!("Failed to resolve unit specifiers ({e})")))?;
    if path.is_empty() {
        return Err(err("Empty path in command line".into()));
    }
    if path.chars().any(|c| c.is_control()) {
        return Err(err("Executable name contains special characters".into()));
    }
    if path.ends_with('/') {
        return Err(err("Executable path specifies a directory".into()));
    }
    let valid = if path.starts_with('/') {
        path.len() < libc::PATH_MAX as usize
    } else {
        path.len() <= 255 && !path.contains('/') && path != "." && path != ".."
    };
    if !valid {
        return Err(err(
            "Neither a valid executable name nor an absolute path".into()
        ));
    }
    let mut argv = Vec::new();
    if !flags.separate_argv0 {
        argv.push(path.clone());
    }
    loop {
        let trimmed = rest.trim_start();
        let is_token = |t: &str| {
            trimmed
                .strip_prefix(t)
                .is_some_and(|after| after.is_empty() || after.starts_with(char::is_whitespace))
        };
        if is_token(";") {
            *rest = &trimmed[1..];
            break;
        }
        let word = match next_word(rest) {
            Ok(Some(w)) => w,
            Ok(None) => break,
            Err(e) => return Err(err(format!("Invalid syntax ({e})"))),
        };
        if word.raw == "\\;" {
            argv.push(";".into());
            continue;
        }
        let resolved = specifiers(&word.text)
            .map_err(|e| err(format!("Failed to resolve unit specifiers ({e})")))?;
        argv.push(resolved);
    }
    if argv.is_empty() {
        return Err(err("Empty executable name or zeroeth argument".into()));
    }
    Ok(Some(ExecCommand {
        path: simplify_path(&path),
        argv,
        flags,
    }))
}

/// `path_simplify()`: duplicate slashes and `.` components go, `..` stays.
fn simplify_path(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

impl ExecCommand {
    /// The arguments after `$VAR` expansion against the final environment
    /// (systemd's `replace_env_argv()`): a word that is exactly `$NAME` becomes the value
    /// split at whitespace with quotes honoured (zero or more words); `${NAME}` anywhere
    /// is replaced by the exact value; `$$` is `$`; unknown names are empty. The `:`
    /// prefix turns all of this off.
    pub fn expanded_argv(&self, env: &EnvBlock) -> Vec<String> {
        if self.flags.no_env_expand {
            return self.argv.clone();
        }
        let mut out = Vec::with_capacity(self.argv.len());
        for word in &self.argv {
            if let Some(name) = word.strip_prefix('$') {
                if !name.starts_with('{') && !name.starts_with('$') {
                    if let Some(value) = env.get(name) {
                        out.extend(split_relaxed(value));
                    }
                    continue;
                }
            }
            out.push(replace_braced_vars(word, env));
        }
        out
    }

    /// The command line as `systemctl status` shows it (`/bin/sh -c "echo hi"`).
    pub fn display(&self) -> String {
        std::iter::once(self.path.as_str())
            .chain(self.argv.iter().skip(1).map(String::as_str))
            .map(quote_for_display)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quote_for_display(word: &str) -> String {
    if !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        return word.to_string();
    }
    format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Splits a variable's value for `$NAME` words: whitespace separates, `'…'` and `"…"` group
/// and are removed, a backslash escapes the next character, an unterminated quote ends at
/// the end of the value (systemd's `EXTRACT_RELAX|EXTRACT_UNQUOTE`).
fn split_relaxed(value: &str) -> Vec<String> {
    let relaxed = SplitOptions {
        c_unescape: false,
        relax: true,
    };
    // Relaxed splitting without C escapes has no error to report.
    split_words(value, relaxed).unwrap_or_default()
}

/// systemd's `replace_env()` without extensions: `${NAME}` → value, `$$` → `$`; anything
/// else (`$NAME` inside a word, `${A:-b}`, an unclosed `${`) stays as written.
fn replace_braced_vars(word: &str, env: &EnvBlock) -> String {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            match inner.find(['}', ':']) {
                Some(end) if inner.as_bytes()[end] == b'}' => {
                    out.push_str(env.get(&inner[..end]).unwrap_or(""));
                    rest = &inner[end + 1..];
                }
                Some(colon) => {
                    // `${A:-b}` is not supported here: kept as written, scanning goes on
                    // after the colon.
                    out.push_str("${");
                    out.push_str(&inner[..=colon]);
                    rest = &inner[colon + 1..];
                }
                None => {
                    out.push_str(&rest[pos..]);
                    return out;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Finds the executable of a command inside `root_dir` (the host directory that is `/` for
/// the process: the `--root`, or RootDirectory= within it). An absolute path is taken as
/// is (a missing file fails at `execve`); a bare name is searched in `search_path` and must
/// be an executable regular file. Returns the path as seen from inside the root.
pub fn resolve_executable(
    path: &str,
    root_dir: &Path,
    search_path: &[&str],
) -> std::io::Result<PathBuf> {
    if path.starts_with('/') {
        return Ok(PathBuf::from(path));
    }
    for dir in search_path {
        let logical = Path::new(dir).join(path);
        let host = root_dir.join(logical.strip_prefix("/").unwrap_or(&logical));
        if is_executable_file(&host) {
            return Ok(logical);
        }
    }
    Err(std::io::Error::from_raw_os_error(libc::ENOENT))
}

fn is_executable_file(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    meta.is_file() && nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_specifiers(s: &str) -> Result<String, String> {
        Ok(s.to_string())
    }

    fn parse(value: &str) -> ParsedExecLine {
        parse_exec_line(value, &no_specifiers)
    }

    fn one(value: &str) -> ExecCommand {
        let parsed = parse(value);
        assert_eq!(parsed.error, None, "{value}");
        assert_eq!(parsed.commands.len(), 1, "{value}");
        parsed.commands.into_iter().next().unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> EnvBlock {
        let mut e = EnvBlock::default();
        for (k, v) in pairs {
            e.set(k, v);
        }
        e
    }

    #[test]
    fn prefixes_combine_in_any_order() {
        let c = one("-@:/bin/sh sh -c true");
        assert!(c.flags.ignore_failure && c.flags.separate_argv0 && c.flags.no_env_expand);
        assert_eq!(c.path, "/bin/sh");
        assert_eq!(c.argv, ["sh", "-c", "true"]);
        let c = one("+-/bin/true");
        assert!(c.flags.full_privileges && c.flags.ignore_failure);
        let c = one("!!/bin/true");
        assert!(c.flags.no_setuid && !c.flags.full_privileges);
        assert_eq!(c.path, "/bin/true");
        assert!(one("!/bin/true").flags.no_setuid);
        assert!(parse("!!!/bin/true").error.is_some());
    }

    #[test]
    fn conflicting_or_repeated_prefixes_are_rejected() {
        let e = parse("+!/bin/true").error.unwrap();
        assert!(!e.ignored);
        assert!(e.message.starts_with("Neither a valid executable name"));
        assert!(parse("--/bin/true").error.unwrap().ignored);
        let e = parse("@/bin/true").error.unwrap();
        assert_eq!(
            e.message,
            "Empty executable name or zeroeth argument: @/bin/true"
        );
        assert!(parse("-").error.unwrap().message.starts_with("Empty path"));
        assert!(parse("bin/true").error.is_some());
        assert!(parse("/usr/bin/").error.is_some());
    }

    #[test]
    fn semicolons_separate_commands_and_escaped_ones_are_arguments() {
        let p = parse(r#"echo one ; echo "two two""#);
        assert_eq!(p.error, None);
        assert_eq!(p.commands.len(), 2);
        assert_eq!(p.commands[0].argv, ["echo", "one"]);
        assert_eq!(p.commands[1].argv, ["echo", "two two"]);
        // The man page example: five arguments, the escaped `;` is one of them.
        let c = one(r"echo / >/dev/null & \; ls");
        assert_eq!(c.argv, ["echo", "/", ">/dev/null", "&", ";", "ls"]);
        let c = one(r#"/bin/echo ";" x;"#);
        assert_eq!(c.argv, ["/bin/echo", ";", "x;"]);
        assert_eq!(parse("; /bin/true ;").commands.len(), 1);
    }

    #[test]
    fn quoting_and_c_escapes() {
        let c = one(r#"/bin/echo "a b" 'c d' e\x41 \t"#);
        assert_eq!(c.argv, ["/bin/echo", "a b", "c d", "eA", "\t"]);
        assert!(parse("/bin/echo \"open").error.is_some());
        assert_eq!(one("//usr/./bin//env").path, "/usr/bin/env");
    }

    #[test]
    fn specifiers_are_resolved_per_word_after_unquoting() {
        let spec = |s: &str| -> Result<String, String> {
            if s.contains("%z") {
                Err("unknown specifier".into())
            } else {
                Ok(s.replace("%n", "a b.service"))
            }
        };
        let p = parse_exec_line("/bin/echo %n '%n'", &spec);
        assert_eq!(
            p.commands[0].argv,
            ["/bin/echo", "a b.service", "a b.service"]
        );
        let p = parse_exec_line("-/bin/echo %z", &spec);
        assert!(p.error.unwrap().ignored);
    }

    #[test]
    fn man_page_example_one_two_three() {
        // Environment=ONE='one' "TWO='two two' too" THREE=
        let e = env(&[("ONE", "'one'"), ("TWO", "'two two' too"), ("THREE", "")]);
        let braced = one("/bin/echo ${ONE} ${TWO} ${THREE}");
        assert_eq!(
            braced.expanded_argv(&e),
            ["/bin/echo", "'one'", "'two two' too", ""]
        );
        let bare = one("/bin/echo $ONE $TWO $THREE");
        assert_eq!(
            bare.expanded_argv(&e),
            ["/bin/echo", "one", "two two", "too"]
        );
    }

    #[test]
    fn man_page_example_one_two() {
        // Environment="ONE=one" 'TWO=two two'
        let e = env(&[("ONE", "one"), ("TWO", "two two")]);
        let c = one("echo $ONE $TWO ${TWO}");
        assert_eq!(
            c.expanded_argv(&e),
            ["echo", "one", "two", "two", "two two"]
        );
    }

    #[test]
    fn dollar_rules() {
        let e = env(&[("A", "x y"), ("B", "b")]);
        let c = one("/bin/echo $$A pre${B}post $A.x ${A:-z}${B} ${B $UNKNOWN ${UNKNOWN}x a$B a$");
        assert_eq!(
            c.expanded_argv(&e),
            [
                "/bin/echo",
                "$A",
                "prebpost",
                "${A:-z}b",
                "${B",
                "x",
                "a$B",
                "a$"
            ]
        );
        let c = one(":/bin/echo $A ${A}");
        assert_eq!(c.expanded_argv(&e), ["/bin/echo", "$A", "${A}"]);
    }

    #[test]
    fn bare_names_are_searched_in_the_fixed_path_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        let tool = dir.path().join("bin/tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        std::fs::write(dir.path().join("usr/bin/tool"), "not executable").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            resolve_executable("tool", dir.path(), DEFAULT_SEARCH_PATH).unwrap(),
            Path::new("/bin/tool")
        );
        let err = resolve_executable("nope", dir.path(), DEFAULT_SEARCH_PATH).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        assert_eq!(
            resolve_executable("/opt/x", dir.path(), DEFAULT_SEARCH_PATH).unwrap(),
            Path::new("/opt/x")
        );
    }

    #[test]
    fn display_quotes_words_with_spaces() {
        assert_eq!(
            one("@/bin/sh sh -c 'echo hi'").display(),
            "/bin/sh -c \"echo hi\""
        );
    }
}
