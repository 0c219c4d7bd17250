//! `Exec*=` command lines: the prefixes (`-@:+!`), the words, the executable's path, and
//! systemd's `{ path=… ; argv[]=… ; … }` rendering in `show`.

use super::format::timestamp;
use super::runtime::ExecRun;
use std::path::Path;
use unitbox_core::root::Root;
use unitbox_core::unit::value::{split_words, SplitOptions};

/// Where a bare executable name is looked up (systemd 252's compiled-in `DEFAULT_PATH`
/// plus the split-usr directories for images that still have them).
const EXEC_SEARCH_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// One parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCommand {
    pub path: String,
    pub argv: Vec<String>,
    /// `-`: failure is recorded but ignored.
    pub ignore_failure: bool,
    /// `+`: full privileges.
    pub privileged: bool,
    /// `!`: no user/group change.
    pub no_setuid: bool,
    /// `!!`: ambient capabilities fallback.
    pub ambient: bool,
    /// `:`: no `$VAR` expansion.
    pub no_env_expand: bool,
}

impl ExecCommand {
    /// Parses one assignment; `None` for lines systemd would reject (and ignore).
    pub fn parse(value: &str, root: &Root) -> Option<ExecCommand> {
        let mut cmd = ExecCommand {
            path: String::new(),
            argv: Vec::new(),
            ignore_failure: false,
            privileged: false,
            no_setuid: false,
            ambient: false,
            no_env_expand: false,
        };
        let mut separate_argv0 = false;
        let mut rest = value.trim_start();
        while let Some(c) = rest.chars().next() {
            match c {
                '-' if !cmd.ignore_failure => cmd.ignore_failure = true,
                '@' if !separate_argv0 => separate_argv0 = true,
                ':' if !cmd.no_env_expand => cmd.no_env_expand = true,
                '+' if !(cmd.privileged || cmd.no_setuid || cmd.ambient) => cmd.privileged = true,
                '!' if !(cmd.privileged || cmd.ambient) => {
                    if cmd.no_setuid {
                        cmd.no_setuid = false;
                        cmd.ambient = true;
                    } else {
                        cmd.no_setuid = true;
                    }
                }
                _ => break,
            }
            rest = &rest[c.len_utf8()..];
        }
        let opts = SplitOptions {
            c_unescape: true,
            relax: false,
        };
        let mut words = split_words(rest, opts).ok()?;
        if words.is_empty() {
            return None;
        }
        let path = words.remove(0);
        if separate_argv0 {
            if words.is_empty() {
                return None;
            }
        } else {
            words.insert(0, path.clone());
        }
        cmd.path = resolve_executable(&path, root)?;
        cmd.argv = words;
        Some(cmd)
    }

    /// The `ExecCommandFlags` words of the `…Ex` properties, in systemd's bit order.
    fn flags(&self) -> String {
        let mut out = Vec::new();
        if self.ignore_failure {
            out.push("ignore-failure");
        }
        if self.privileged {
            out.push("privileged");
        }
        if self.no_setuid {
            out.push("no-setuid");
        }
        if self.ambient {
            out.push("ambient");
        }
        if self.no_env_expand {
            out.push("no-env-expand");
        }
        out.join(" ")
    }

    /// `{ path=… ; argv[]=… ; ignore_errors=… ; … }`, or the `flags=` form for `…Ex`.
    pub fn render(&self, ex: bool, run: &ExecRun) -> String {
        let middle = if ex {
            format!("flags={}", self.flags())
        } else {
            format!(
                "ignore_errors={}",
                if self.ignore_failure { "yes" } else { "no" }
            )
        };
        let time = |t: u64| {
            let s = timestamp(t);
            if s.is_empty() {
                "n/a".to_string()
            } else {
                s
            }
        };
        // `sigchld_code_to_string()`; 0 (never ran) prints as C's "(null)".
        let code = match run.code {
            1 => "exited",
            2 => "killed",
            3 => "dumped",
            4 => "trapped",
            5 => "stopped",
            6 => "continued",
            _ => "(null)",
        };
        let status = if run.code == 1 {
            run.status.to_string()
        } else {
            format!("{}/{}", run.status, signal_name(run.status))
        };
        format!(
            "{{ path={} ; argv[]={} ; {middle} ; start_time=[{}] ; stop_time=[{}] ; pid={} ; code={code} ; status={status} }}",
            self.path,
            self.argv.join(" "),
            time(run.start),
            time(run.exit),
            run.pid,
        )
    }
}

/// `signal_to_string()`: the name without `SIG`, or the number.
fn signal_name(sig: i32) -> String {
    const NAMES: &[(i32, &str)] = &[
        (libc::SIGHUP, "HUP"),
        (libc::SIGINT, "INT"),
        (libc::SIGQUIT, "QUIT"),
        (libc::SIGILL, "ILL"),
        (libc::SIGTRAP, "TRAP"),
        (libc::SIGABRT, "ABRT"),
        (libc::SIGBUS, "BUS"),
        (libc::SIGFPE, "FPE"),
        (libc::SIGKILL, "KILL"),
        (libc::SIGUSR1, "USR1"),
        (libc::SIGSEGV, "SEGV"),
        (libc::SIGUSR2, "USR2"),
        (libc::SIGPIPE, "PIPE"),
        (libc::SIGALRM, "ALRM"),
        (libc::SIGTERM, "TERM"),
        (libc::SIGCHLD, "CHLD"),
        (libc::SIGCONT, "CONT"),
        (libc::SIGSTOP, "STOP"),
        (libc::SIGSYS, "SYS"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == sig)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| sig.to_string())
}

/// An absolute path stays; a bare name is looked up in the search path inside the root (and
/// kept as given when not found, so `show` still says what the file says).
fn resolve_executable(word: &str, root: &Root) -> Option<String> {
    if word.starts_with('/') {
        return Some(word.to_string());
    }
    if word.contains('/') || word.is_empty() {
        return None;
    }
    for dir in EXEC_SEARCH_PATH {
        let candidate = Path::new(dir).join(word);
        if root.host_path(&candidate).is_file() {
            return Some(candidate.display().to_string());
        }
    }
    Some(word.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> ExecCommand {
        ExecCommand::parse(v, &Root::new("/nonexistent-root")).unwrap()
    }

    #[test]
    fn prefixes_and_argv0() {
        let c = parse("-@/bin/sh mysh -c 'echo hi'");
        assert!(c.ignore_failure);
        assert_eq!(c.path, "/bin/sh");
        assert_eq!(c.argv, ["mysh", "-c", "echo hi"]);
        let c = parse("+/bin/true");
        assert!(c.privileged && !c.no_setuid);
        let c = parse("!!/bin/true");
        assert!(c.ambient && !c.no_setuid);
        assert!(ExecCommand::parse("@/bin/sh", &Root::host()).is_none());
        assert!(ExecCommand::parse("'open", &Root::host()).is_none());
    }

    #[test]
    fn renders_like_systemctl_show() {
        let run = ExecRun::default();
        assert_eq!(
            parse("/usr/bin/sleep 60").render(false, &run),
            "{ path=/usr/bin/sleep ; argv[]=/usr/bin/sleep 60 ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        );
        assert_eq!(
            parse("-:/bin/x").render(true, &run),
            "{ path=/bin/x ; argv[]=/bin/x ; flags=ignore-failure no-env-expand ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        );
    }
}
