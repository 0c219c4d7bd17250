//! Starting one command of the unit: environment in systemd's order, credentials,
//! directories, standard streams onto the unit's pipes, then [`crate::exec::spawn`].

use crate::exec::command::ExecCommand;
use crate::exec::credentials::{
    credentials_for_self, resolve_credentials, resolve_dynamic_credentials, CredentialError,
    Credentials,
};
use crate::exec::dynamic_user::{prepare_private_directories, Registration};
use crate::exec::environment::{assemble, read_environment_files, EnvInputs, ManagerVars};
use crate::exec::prepare::{login_vars, open_stdio, process_spec, ProcessInputs};
use crate::exec::spawn::{spawn, ChildStdio, Spawned};
use crate::exec::{dirs, manager_env};
use crate::scope::Scope;
use crate::service::ServiceConfig;
use crate::users::UserDb;

/// Which setting a command comes from (also the `ExecProcess` kind of the state file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Condition,
    StartPre,
    Start,
    StartPost,
    Reload,
    Stop,
    StopPost,
}

impl CommandKind {
    pub fn setting(self) -> &'static str {
        match self {
            CommandKind::Condition => "ExecCondition",
            CommandKind::StartPre => "ExecStartPre",
            CommandKind::Start => "ExecStart",
            CommandKind::StartPost => "ExecStartPost",
            CommandKind::Reload => "ExecReload",
            CommandKind::Stop => "ExecStop",
            CommandKind::StopPost => "ExecStopPost",
        }
    }
}

/// Why a command could not be started at all.
#[derive(Debug)]
pub enum LaunchError {
    /// The unit fails with Result=resources (environment files, fork failure).
    Resources(String),
    /// The process "ran" and failed at a setup step with this exit code (systemd does the
    /// step in the child; we do it before forking): treated as its exit status.
    Exit(i32, String),
}

/// Variables that differ between the commands of one activation.
#[derive(Debug, Clone, Default)]
pub struct CommandEnv {
    pub invocation_id: String,
    /// `$MAINPID`, for control commands.
    pub main_pid: Option<u32>,
    /// `$SERVICE_RESULT`, `$EXIT_CODE`, `$EXIT_STATUS` for ExecStop=/ExecStopPost=.
    pub extra: Vec<(String, String)>,
}

/// A started command, and whether its stdout and stderr are the journal pipes it was given
/// (other settings, `--inherit-stdio`, or stderr sharing stdout's pipe leave one unused).
pub struct Launched {
    pub spawned: Spawned,
    pub writes_to: (bool, bool),
}

pub struct Launcher {
    scope: Scope,
    credentials: Result<Credentials, CredentialError>,
    /// `DynamicUser=`: the uid this unit holds until the launcher (the supervisor) goes.
    dynamic_user: Option<Registration>,
    defaults: Vec<(String, String)>,
    own_environment: Vec<(String, String)>,
    pub notify_socket: Option<String>,
    pub watchdog_usec: u64,
    /// `LaunchArgs::inherit_stdio`: processes get the supervisor's own standard streams.
    pub inherit_stdio: bool,
    /// Socket activation: what the main process gets from fd 3 on.
    pub listen_fds: crate::socket::activation::ListenFds,
}

impl Launcher {
    /// A launcher that does not know its unit's name: a `DynamicUser=` unit then needs
    /// `User=`. Prefer [`Launcher::for_unit`].
    pub fn new(scope: &Scope, config: &ServiceConfig) -> Launcher {
        Launcher::for_unit(scope, config, "")
    }

    /// Resolves the credentials once for the unit's life; `DynamicUser=` allocates its
    /// user here (see [`crate::exec::dynamic_user`]) and keeps it until the launcher drops.
    pub fn for_unit(scope: &Scope, config: &ServiceConfig, unit: &str) -> Launcher {
        let users = UserDb::load(&scope.root);
        let ctx = &config.exec;
        let mut dynamic_user = None;
        let credentials = match credentials_for_self(
            &users,
            &scope.identity,
            ctx.user.as_deref(),
            ctx.group.as_deref(),
        ) {
            Some(own) => Ok(own),
            None if ctx.dynamic_user && can_allocate() => {
                let resolved = match capsule_name_problem(unit) {
                    Some(problem) => Err(problem),
                    None => resolve_dynamic_credentials(
                        &scope.root,
                        unit,
                        ctx.user.as_deref(),
                        ctx.group.as_deref(),
                        &ctx.supplementary_groups,
                    ),
                };
                resolved.map(|(credentials, registration)| {
                    dynamic_user = registration;
                    credentials
                })
            }
            None => resolve_credentials(
                &users,
                ctx.user.as_deref(),
                ctx.group.as_deref(),
                &ctx.supplementary_groups,
            ),
        };
        // The manager environment already holds what a user manager passes on; the
        // process's own environment only feeds PassEnvironment=.
        let own_environment: Vec<(String, String)> = manager_env::own_environment()
            .into_iter()
            .filter(|(k, _)| k != super::output::CONSOLE_FD_ENV)
            .collect();
        let defaults = manager_env::manager_environment(scope, &own_environment);
        Launcher {
            scope: scope.clone(),
            credentials,
            dynamic_user,
            defaults,
            own_environment,
            notify_socket: None,
            watchdog_usec: 0,
            inherit_stdio: false,
            listen_fds: Default::default(),
        }
    }

    /// Gives the `DynamicUser=` uid back (the unit is at rest); before the stop is
    /// confirmed, so a `systemctl stop` that returned has released it.
    pub fn release_dynamic_user(&mut self) {
        self.dynamic_user = None;
    }

    /// Forks `command`; its stdout/stderr go to `journal_fds` where the unit's settings say
    /// journal.
    pub fn launch(
        &self,
        config: &ServiceConfig,
        kind: CommandKind,
        command: &ExecCommand,
        env: &CommandEnv,
        journal_fds: (i32, i32),
    ) -> Result<Launched, LaunchError> {
        let ctx = &config.exec;
        // As systemd's exec_child(): credentials before directories, so a unit whose user
        // cannot be had leaves nothing behind.
        if let Err(e) = &self.credentials {
            return Err(LaunchError::Exit(e.exit_code, e.message.clone()));
        }
        let owner = self
            .credentials
            .as_ref()
            .ok()
            .and_then(|c| Some((c.uid()?, c.gid.unwrap_or(0))));
        if let (Some(_), Some(owner)) = (&self.dynamic_user, owner) {
            prepare_private_directories(&ctx.directories, &self.scope, owner)
                .map_err(|e| LaunchError::Exit(e.kind.exit_code(), e.to_string()))?;
        }
        if kind == CommandKind::Start {
            for limit in &ctx.limits {
                if let Some((_, hard)) = limit.lowered() {
                    // systemd's setrlimit_closest() wording (it logs it at debug level; a
                    // container without CAP_SYS_RESOURCE makes it common, so say it).
                    log::warn!(
                        "Failed at setting rlimit {} for resource RLIMIT_{}. Will attempt setting value {hard} instead.",
                        limit.hard,
                        limit.resource_name()
                    );
                }
            }
        }
        let directories = dirs::create_directories(&ctx.directories, &self.scope, owner)
            .map_err(|e| LaunchError::Exit(e.kind.exit_code(), e.to_string()))?;
        let files = read_environment_files(&ctx.environment_files, &self.scope.root)
            .map_err(|e| LaunchError::Resources(e.to_string()))?;
        let mut login = login_vars(&self.credentials);
        if login.is_none() && !self.scope.is_system() {
            login = Some(crate::exec::environment::LoginVars {
                user: self.scope.identity.name.clone(),
                home: self.scope.identity.home.clone(),
                shell: self.scope.identity.shell.clone(),
            });
        }
        let mut extra = env.extra.clone();
        let main_process = kind == CommandKind::Start;
        if main_process && self.watchdog_usec > 0 {
            extra.push(("WATCHDOG_USEC".into(), self.watchdog_usec.to_string()));
        }
        use crate::exec::stdio::{StdInput, StdOutput};
        let socket_stdio = self.listen_fds.accepted
            && (ctx.standard_input == StdInput::Socket
                || ctx.standard_output == StdOutput::Socket
                || ctx.standard_error == StdOutput::Socket);
        extra.extend(self.listen_fds.remote_env());
        let passes_fds = main_process && !self.listen_fds.fds.is_empty() && !socket_stdio;
        if passes_fds {
            extra.push(("LISTEN_FDS".into(), self.listen_fds.fds.len().to_string()));
            extra.push(("LISTEN_FDNAMES".into(), self.listen_fds.names.join(":")));
        }
        let manager = ManagerVars {
            login,
            invocation_id: Some(env.invocation_id.clone()).filter(|i| !i.is_empty()),
            main_pid: env.main_pid,
            manager_pid: (!self.scope.is_system()).then(std::process::id),
            notify_socket: self.notify_socket.clone(),
            watchdog: None,
            directories,
            extra,
        };
        let block = assemble(&EnvInputs {
            defaults: &self.defaults,
            manager: &manager,
            own_environment: &self.own_environment,
            pass_all: false,
            pass_environment: &ctx.pass_environment,
            unit_environment: &ctx.environment,
            file_environment: &files,
            unset: &ctx.unset_environment,
        });
        let apply_root = !config.root_directory_start_only || main_process;
        let mut spec = process_spec(
            command,
            &ProcessInputs {
                context: ctx,
                env: &block,
                credentials: &self.credentials,
                root: &self.scope.root,
                manager_home: &self.scope.identity.home,
                apply_root_directory: apply_root,
            },
        );
        if passes_fds {
            use std::os::fd::AsRawFd;
            spec.pass_fds = self.listen_fds.fds.iter().map(|f| f.as_raw_fd()).collect();
            spec.set_listen_pid = true;
        }
        let stdio = open_stdio(ctx, &self.scope.root, Some(journal_fds.0))
            .map_err(|e| LaunchError::Exit(e.exit_code, e.to_string()))?;
        stdio.apply(&mut spec);
        if let (true, Some(conn)) = (socket_stdio, self.listen_fds.fds.first()) {
            // StandardInput=/StandardOutput=/StandardError=socket: the connection.
            use std::os::fd::AsRawFd;
            let conn = ChildStdio::Fd(conn.as_raw_fd());
            if ctx.standard_input == StdInput::Socket {
                spec.stdin = conn.clone();
            }
            if ctx.standard_output == StdOutput::Socket {
                spec.stdout = conn.clone();
            }
            if ctx.standard_error == StdOutput::Socket {
                spec.stderr = conn;
            }
        }
        if self.inherit_stdio {
            spec.stdin = ChildStdio::Inherit;
            spec.stdout = ChildStdio::Inherit;
            spec.stderr = ChildStdio::Inherit;
        }
        if spec.stderr == ChildStdio::Fd(journal_fds.0) {
            spec.stderr = ChildStdio::Fd(journal_fds.1);
        }
        let writes_to = (
            spec.stdout == ChildStdio::Fd(journal_fds.0),
            spec.stderr == ChildStdio::Fd(journal_fds.1),
        );
        let spawned =
            spawn(&spec).map_err(|e| LaunchError::Resources(format!("Failed to fork: {e}")))?;
        drop(stdio);
        Ok(Launched { spawned, writes_to })
    }
}

/// Only a root manager can hand out uids; a user manager (systemd refuses `DynamicUser=`
/// there too in effect) runs such a unit as itself.
fn can_allocate() -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        log::warn!("DynamicUser= needs a manager running as root; ignoring it.");
    }
    root
}

/// `capsule@NAME.service` with a NAME that cannot be a capsule: refused before its user
/// or any directory exists.
fn capsule_name_problem(unit: &str) -> Option<CredentialError> {
    let name = crate::capsule::instance_of_service(unit)?;
    (!crate::capsule::name_is_valid(name)).then(|| CredentialError {
        exit_code: crate::exec::exit_status::code::USER,
        message: format!("Invalid capsule name: {name}"),
    })
}
