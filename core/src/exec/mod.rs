//! Running a command line as systemd does (systemd.exec(5), systemd.service(5) "Command
//! lines").
//!
//! The pieces, in the order a supervisor uses them:
//! - [`command`]: parse `ExecStart=`-style lines (load time), expand `$VAR` and find the
//!   executable (exec time);
//! - [`context`]: the unit's execution settings ([`context::ExecContext`]);
//! - [`credentials`]: `User=`/`Group=`/`SupplementaryGroups=` from the root's passwd/group;
//! - [`dynamic_user`]: `DynamicUser=`: uids allocated at start, released at stop;
//! - [`dirs`]: `RuntimeDirectory=` & co., created before the first process;
//! - [`environment`]: the process environment in systemd's order;
//! - [`prepare`]: settings + command → [`spawn::ProcessSpec`], standard streams;
//! - [`spawn`]: fork, set up, execve, report failures with systemd's exit codes;
//! - [`caps`], [`sched`]: capabilities and secure bits; OOM score, CPU affinity, I/O
//!   priority (parsed here, applied by the child of [`spawn`]);
//! - [`exit_status`], [`limits`], [`stdio`]: value syntax and names.
//!
//! A supervisor starts one command like this:
//! ```ignore
//! let creds = credentials::resolve_credentials(&db, ctx.user.as_deref(), ctx.group.as_deref(), &ctx.supplementary_groups);
//! let dir_env = dirs::create_directories(&ctx.directories, &scope, owner)?;          // exit 233… on error
//! let files = environment::read_environment_files(&ctx.environment_files, &scope.root)?;
//! let env = environment::assemble(&EnvInputs { manager: &ManagerVars { login: prepare::login_vars(&creds), directories: dir_env, .. }, .. });
//! let mut spec = prepare::process_spec(&cmd, &ProcessInputs { context: &ctx, env: &env, credentials: &creds, .. });
//! let stdio = prepare::open_stdio(&ctx, &scope.root, Some(pipe_write_fd))?;       // exit 208/209/222 on error
//! stdio.apply(&mut spec);
//! let child = spawn::spawn(&spec)?;
//! drop(stdio);
//! child.wait_exec()?;    // Type=exec: start succeeds only here
//! ```

pub mod caps;
pub mod client_env;
pub mod command;
pub mod context;
pub mod credentials;
pub mod dirs;
pub mod dynamic_user;
pub mod environment;
pub mod exit_status;
pub mod limits;
pub mod manager_env;
pub mod prepare;
pub mod sched;
pub mod spawn;
pub mod stdio;

use crate::unit::{Diagnostic, Entry};

/// Problems found while reading settings: systemd logs them with file and line and goes
/// on with the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings(pub Vec<Diagnostic>);

impl Warnings {
    pub fn push(&mut self, entry: &Entry, message: String) {
        self.0.push(Diagnostic {
            file: (*entry.file).clone(),
            line: entry.line,
            message,
        });
    }
}
