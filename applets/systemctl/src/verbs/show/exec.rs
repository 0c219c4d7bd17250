//! `Exec*=` command lines in `show`: systemd's `{ path=… ; argv[]=… ; … }` rendering of the
//! commands [`unitbox_core::service::ServiceConfig`] parsed, with their last run.

use super::format::timestamp;
use super::runtime::ExecRun;
use std::path::Path;
use unitbox_core::exec::command::{resolve_executable, ExecCommand, DEFAULT_SEARCH_PATH};
use unitbox_core::exec::exit_status::signal_name;
use unitbox_core::root::Root;

/// A command line as `show` prints it: the executable found at load time (a bare name is
/// looked up in systemd's search path inside the root, and kept as written when missing,
/// so `show` still says what the file says).
pub struct ExecLine<'a> {
    pub command: &'a ExecCommand,
    pub path: String,
}

impl<'a> ExecLine<'a> {
    pub fn new(command: &'a ExecCommand, root: &Root) -> Self {
        let path = resolve_executable(
            &command.path,
            &root.host_path(Path::new("/")),
            DEFAULT_SEARCH_PATH,
        )
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| command.path.clone());
        ExecLine { command, path }
    }

    /// The `ExecCommandFlags` words of the `…Ex` properties, in systemd's bit order.
    fn flags(&self) -> String {
        let f = &self.command.flags;
        let mut out = Vec::new();
        if f.ignore_failure {
            out.push("ignore-failure");
        }
        if f.full_privileges {
            out.push("privileged");
        }
        if f.no_setuid && !f.ambient {
            out.push("no-setuid");
        }
        if f.ambient {
            out.push("ambient");
        }
        if f.no_env_expand {
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
                if self.command.flags.ignore_failure {
                    "yes"
                } else {
                    "no"
                }
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
            self.command.argv.join(" "),
            time(run.start),
            time(run.exit),
            run.pid,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unitbox_core::exec::command::parse_exec_line;

    fn render(v: &str, ex: bool) -> String {
        let parsed = parse_exec_line(v, &|s: &str| Ok(s.to_string()));
        let root = Root::new("/nonexistent-root");
        ExecLine::new(&parsed.commands[0], &root).render(ex, &ExecRun::default())
    }

    #[test]
    fn renders_like_systemctl_show() {
        assert_eq!(
            render("/usr/bin/sleep 60", false),
            "{ path=/usr/bin/sleep ; argv[]=/usr/bin/sleep 60 ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        );
        assert_eq!(
            render("-:/bin/x", true),
            "{ path=/bin/x ; argv[]=/bin/x ; flags=ignore-failure no-env-expand ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        );
        assert!(render("!!/bin/x", true).contains(" flags=ambient ;"));
        assert!(render("@/bin/sh mysh -c 'echo hi'", false).contains("argv[]=mysh -c echo hi ;"));
        assert!(
            render("true", false).starts_with("{ path=true ;"),
            "missing names stay"
        );
    }
}
