//! From a unit's settings to a [`ProcessSpec`]: applies the command's prefixes (`+`, `!`),
//! `RootDirectory=`, `WorkingDirectory=` (`~`), the executable lookup and `$VAR`
//! expansion, and opens the standard streams.

use super::command::{resolve_executable, ExecCommand, DEFAULT_SEARCH_PATH};
use super::context::{ExecContext, WorkingDirectory};
use super::credentials::{CredentialError, Credentials};
use super::environment::{EnvBlock, LoginVars};
use super::spawn::{ChildStdio, ProcessSpec};
use super::stdio::{open_input_file, open_output_file, StdInput, StdOutput};
use crate::root::Root;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// The login variables (`USER`, `HOME`, …) for a unit with `User=`.
pub fn login_vars(credentials: &Result<Credentials, CredentialError>) -> Option<LoginVars> {
    let user = credentials.as_ref().ok()?.user.as_ref()?;
    Some(LoginVars {
        user: user.name.clone(),
        home: user.home.clone(),
        shell: user.shell.clone(),
    })
}

/// What [`process_spec`] needs besides the command.
#[derive(Debug, Clone, Copy)]
pub struct ProcessInputs<'a> {
    pub context: &'a ExecContext,
    /// The final environment ([`super::environment::assemble`]).
    pub env: &'a EnvBlock,
    pub credentials: &'a Result<Credentials, CredentialError>,
    pub root: &'a Root,
    /// The manager's home, for `WorkingDirectory=~` without `User=`.
    pub manager_home: &'a Path,
    /// False for the commands other than ExecStart= under `RootDirectoryStartOnly=yes`.
    pub apply_root_directory: bool,
}

/// Builds the spec of one command; the standard streams are left to [`open_stdio`].
pub fn process_spec(command: &ExecCommand, inputs: &ProcessInputs<'_>) -> ProcessSpec {
    let ctx = inputs.context;
    let privileged = command.flags.full_privileges;
    let chroot = ctx
        .root_directory
        .as_ref()
        .filter(|_| inputs.apply_root_directory && !privileged)
        .map(|dir| inputs.root.host_path(dir));
    let process_root = chroot
        .clone()
        .unwrap_or_else(|| inputs.root.dir().to_path_buf());
    let executable = resolve_executable(&command.path, &process_root, DEFAULT_SEARCH_PATH)
        .map_err(|e| e.raw_os_error().unwrap_or(libc::ENOENT));
    let credentials = match inputs.credentials {
        Err(e) => Err(e.clone()),
        Ok(_) if privileged || command.flags.no_setuid => Ok(Credentials::default()),
        Ok(c) => Ok(c.clone()),
    };
    let home = inputs
        .credentials
        .as_ref()
        .ok()
        .and_then(|c| c.user.as_ref())
        .map(|u| u.home.clone())
        .unwrap_or_else(|| inputs.manager_home.to_path_buf());
    // The home is a logical path of the scope (a capsule's /var/lib/capsules/NAME): without
    // RootDirectory= it lives inside --root, like the service directories.
    let working_directory = ctx.working_directory.as_ref().map(|wd| match wd {
        WorkingDirectory::Home if chroot.is_none() => inputs.root.host_path(&home),
        WorkingDirectory::Home => home.clone(),
        WorkingDirectory::Path(p) => p.clone(),
    });
    let mut spec = ProcessSpec::new(
        PathBuf::new(),
        command.expanded_argv(inputs.env),
        inputs.env.clone(),
    );
    spec.executable = executable;
    spec.set_exec_pid = true;
    spec.credentials = credentials;
    spec.chroot = chroot;
    spec.working_directory = working_directory;
    spec.working_directory_optional = ctx.working_directory_optional;
    spec.umask = ctx.umask;
    spec.nice = ctx.nice;
    spec.limits = ctx.limits.clone();
    spec.ignore_sigpipe = ctx.ignore_sigpipe;
    spec.oom_score_adjust = ctx.oom_score_adjust;
    spec.cpu_affinity = ctx.cpu_affinity.as_ref().map(|set| set.0.clone());
    spec.io_priority = ctx.io_priority;
    spec.privileges = (!privileged).then_some(super::caps::Privileges {
        bounding: ctx.capability_bounding_set,
        ambient: ctx.ambient_capabilities,
        secure_bits: ctx.secure_bits,
    });
    spec
}

/// Opened standard streams; the descriptors stay open until the child has been forked.
#[derive(Debug, Default)]
pub struct OpenedStdio {
    pub stdin: Option<ChildStdio>,
    pub stdout: Option<ChildStdio>,
    pub stderr: Option<ChildStdio>,
    /// Files opened for `file:`/`append:`/`truncate:`; drop after `spawn()`.
    pub keep: Vec<OwnedFd>,
}

/// Which stream failed to open (the process then exits 208/209/222 without starting).
#[derive(Debug, thiserror::Error)]
#[error("Failed to set up standard {stream}: {path}: {source}")]
pub struct StdioError {
    pub stream: &'static str,
    pub exit_code: i32,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Maps `StandardInput=`/`StandardOutput=`/`StandardError=` to child descriptors.
/// `journal` is the write end of the supervisor's capture pipe for the journal-bound
/// streams (`journal`, `kmsg`, `+console`); without it they inherit.
pub fn open_stdio(
    ctx: &ExecContext,
    root: &Root,
    journal: Option<RawFd>,
) -> Result<OpenedStdio, StdioError> {
    let mut opened = OpenedStdio::default();
    let tty = || ChildStdio::Tty(ctx.tty_path.clone());
    opened.stdin = Some(match &ctx.standard_input {
        StdInput::Null | StdInput::Socket | StdInput::Fd(_) => ChildStdio::Null,
        StdInput::Tty | StdInput::TtyForce | StdInput::TtyFail => tty(),
        StdInput::File(p) => {
            let fd = open_input_file(&root.host_path(p)).map_err(|source| StdioError {
                stream: "input",
                exit_code: super::exit_status::code::STDIN,
                path: p.clone(),
                source,
            })?;
            let raw = fd.as_raw_fd();
            opened.keep.push(fd);
            ChildStdio::Fd(raw)
        }
    });
    for (index, output) in [(1, &ctx.standard_output), (2, &ctx.standard_error)] {
        let stream = if index == 1 { "output" } else { "error" };
        let exit_code = if index == 1 {
            super::exit_status::code::STDOUT
        } else {
            super::exit_status::code::STDERR
        };
        let child = match output {
            StdOutput::Inherit => ChildStdio::SameAs(index - 1),
            StdOutput::Null => ChildStdio::Null,
            StdOutput::Tty => tty(),
            StdOutput::Journal
            | StdOutput::JournalConsole
            | StdOutput::Kmsg
            | StdOutput::KmsgConsole
            | StdOutput::Socket
            | StdOutput::Fd(_) => match journal {
                Some(fd) => ChildStdio::Fd(fd),
                None => ChildStdio::Inherit,
            },
            StdOutput::File(p) | StdOutput::Append(p) | StdOutput::Truncate(p) => {
                let fd =
                    open_output_file(&root.host_path(p), output).map_err(|source| StdioError {
                        stream,
                        exit_code,
                        path: p.clone(),
                        source,
                    })?;
                let raw = fd.as_raw_fd();
                opened.keep.push(fd);
                ChildStdio::Fd(raw)
            }
        };
        if index == 1 {
            opened.stdout = Some(child);
        } else {
            opened.stderr = Some(child);
        }
    }
    Ok(opened)
}

impl OpenedStdio {
    /// Puts the streams into a spec.
    pub fn apply(&self, spec: &mut ProcessSpec) {
        if let Some(s) = &self.stdin {
            spec.stdin = s.clone();
        }
        if let Some(s) = &self.stdout {
            spec.stdout = s.clone();
        }
        if let Some(s) = &self.stderr {
            spec.stderr = s.clone();
        }
    }
}
