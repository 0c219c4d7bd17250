//! The execution settings shared by every unit that runs processes (systemd's
//! `ExecContext`): identity, directories, limits, environment, standard streams, logging.

use super::dirs::{parse_directory_path, DirKind, ExecDirectories, Preserve};
use super::environment::EnvironmentFileSpec;
use super::limits::{parse_limit, setting_names, ResourceLimit};
use super::sched::CpuSet;
use super::stdio::{StdInput, StdOutput};
use super::Warnings;
use super::{caps, sched};
use crate::unit::value::parse_bool;
use crate::unit::{Entry, Settings};
use std::path::PathBuf;

/// `WorkingDirectory=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkingDirectory {
    /// `~`: the home directory of `User=` (or of the manager's user).
    Home,
    Path(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecContext {
    pub user: Option<String>,
    pub group: Option<String>,
    pub supplementary_groups: Vec<String>,
    /// Parsed only: dynamic users are not allocated (see the module report).
    pub dynamic_user: bool,
    pub working_directory: Option<WorkingDirectory>,
    /// The `-` prefix.
    pub working_directory_optional: bool,
    pub root_directory: Option<PathBuf>,
    pub umask: u32,
    pub nice: Option<i32>,
    pub limits: Vec<ResourceLimit>,
    pub environment: Vec<(String, String)>,
    pub environment_files: Vec<EnvironmentFileSpec>,
    pub pass_environment: Vec<String>,
    pub unset_environment: Vec<String>,
    pub standard_input: StdInput,
    pub standard_output: StdOutput,
    pub standard_error: StdOutput,
    pub tty_path: PathBuf,
    pub ignore_sigpipe: bool,
    pub syslog_identifier: Option<String>,
    pub syslog_level_prefix: bool,
    /// 0 (emerg) … 7 (debug); default 6 (info).
    pub syslog_level: u8,
    pub directories: ExecDirectories,
    /// `CapabilityBoundingSet=` (all by default), `AmbientCapabilities=`, `SecureBits=`.
    pub capability_bounding_set: u64,
    pub ambient_capabilities: u64,
    pub secure_bits: u32,
    /// `OOMScoreAdjust=`, `CPUAffinity=`, `IOSchedulingClass=`/`IOSchedulingPriority=`
    /// (the `ioprio` value); `None`: left as inherited.
    pub oom_score_adjust: Option<i32>,
    pub cpu_affinity: Option<CpuSet>,
    pub io_priority: Option<i32>,
}

impl Default for ExecContext {
    fn default() -> Self {
        ExecContext {
            user: None,
            group: None,
            supplementary_groups: Vec::new(),
            dynamic_user: false,
            working_directory: None,
            working_directory_optional: false,
            root_directory: None,
            umask: 0o022,
            nice: None,
            limits: Vec::new(),
            environment: Vec::new(),
            environment_files: Vec::new(),
            pass_environment: Vec::new(),
            unset_environment: Vec::new(),
            standard_input: StdInput::Null,
            standard_output: StdOutput::Journal,
            standard_error: StdOutput::Inherit,
            tty_path: PathBuf::from("/dev/console"),
            ignore_sigpipe: true,
            syslog_identifier: None,
            syslog_level_prefix: true,
            syslog_level: 6,
            directories: ExecDirectories::default(),
            capability_bounding_set: caps::CAP_ALL,
            ambient_capabilities: 0,
            secure_bits: 0,
            oom_score_adjust: None,
            cpu_affinity: None,
            io_priority: None,
        }
    }
}

const SYSLOG_LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

impl ExecContext {
    /// Reads the settings of `section` (`Service`, `Socket`, …). `specifiers` resolves `%`
    /// specifiers; problems become warnings and the setting keeps its default, as systemd.
    pub fn from_settings(
        settings: &Settings,
        section: &str,
        specifiers: &dyn Fn(&str) -> Result<String, String>,
        warnings: &mut Warnings,
    ) -> Self {
        let mut c = ExecContext::default();
        let resolved = |e: &Entry, w: &mut Warnings| resolve(e, specifiers, w);
        if let Some(e) = settings.last_entry(section, "User") {
            c.user = resolved(e, warnings);
        }
        if let Some(e) = settings.last_entry(section, "Group") {
            c.group = resolved(e, warnings);
        }
        for e in settings.list_entries(section, "SupplementaryGroups") {
            if let Some(v) = resolved(e, warnings) {
                c.supplementary_groups
                    .extend(v.split_whitespace().map(str::to_string));
            }
        }
        c.dynamic_user = flag(settings, section, "DynamicUser", false, warnings);
        if let Some(e) = settings.last_entry(section, "WorkingDirectory") {
            let (optional, raw) = match e.value.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, e.value.as_str()),
            };
            if raw == "~" {
                c.working_directory = Some(WorkingDirectory::Home);
                c.working_directory_optional = optional;
            } else if let Ok(path) = specifiers(raw) {
                if path.starts_with('/') {
                    c.working_directory = Some(WorkingDirectory::Path(PathBuf::from(path)));
                    c.working_directory_optional = optional;
                } else {
                    warnings.push(e, format!("Not an absolute path, ignoring: {}", e.value));
                }
            } else {
                warnings.push(
                    e,
                    format!("Failed to resolve specifiers, ignoring: {}", e.value),
                );
            }
        }
        if let Some(e) = settings.last_entry(section, "RootDirectory") {
            match resolved(e, warnings) {
                Some(p) if p.starts_with('/') => c.root_directory = Some(PathBuf::from(p)),
                Some(_) => warnings.push(e, format!("Not an absolute path, ignoring: {}", e.value)),
                None => {}
            }
        }
        if let Some(e) = settings.last_entry(section, "UMask") {
            match parse_mode(&e.value) {
                Some(m) => c.umask = m,
                None => warnings.push(
                    e,
                    format!("Failed to parse mode value, ignoring: {}", e.value),
                ),
            }
        }
        if let Some(e) = settings.last_entry(section, "Nice") {
            match e.value.parse::<i32>() {
                Ok(n) if (-20..=19).contains(&n) => c.nice = Some(n),
                _ => warnings.push(
                    e,
                    format!("Failed to parse nice priority '{}', ignoring", e.value),
                ),
            }
        }
        for name in setting_names() {
            if let Some(e) = settings.last_entry(section, name) {
                match parse_limit(name, &e.value) {
                    Ok(l) => c.limits.push(l),
                    Err(msg) => warnings.push(e, msg),
                }
            }
        }
        for e in settings.list_entries(section, "Environment") {
            let Some(value) = resolved(e, warnings) else {
                continue;
            };
            let (pairs, problems) = crate::unit::env::parse_environment([value.as_str()]);
            c.environment.extend(pairs.vars);
            for p in problems {
                warnings.push(e, p);
            }
        }
        for e in settings.list_entries(section, "EnvironmentFile") {
            match resolved(e, warnings).and_then(|v| EnvironmentFileSpec::parse(&v)) {
                Some(spec) => c.environment_files.push(spec),
                None => warnings.push(e, format!("Path '{}' is not absolute, ignoring.", e.value)),
            }
        }
        for key in ["PassEnvironment", "UnsetEnvironment"] {
            let mut names = Vec::new();
            for e in settings.list_entries(section, key) {
                let words = crate::unit::value::split_words(&e.value, Default::default())
                    .unwrap_or_default();
                names.extend(words);
            }
            if key == "PassEnvironment" {
                c.pass_environment = names;
            } else {
                c.unset_environment = names;
            }
        }
        if let Some(e) = settings.last_entry(section, "StandardInput") {
            match StdInput::parse(&e.value) {
                Some(v) => c.standard_input = v,
                None => warnings.push(
                    e,
                    format!(
                        "Failed to parse standard input specifier, ignoring: {}",
                        e.value
                    ),
                ),
            }
        }
        let mut output_set = false;
        for (key, slot) in [("StandardOutput", 1), ("StandardError", 2)] {
            if let Some(e) = settings.last_entry(section, key) {
                match resolved(e, warnings).as_deref().and_then(StdOutput::parse) {
                    Some(v) if slot == 1 => {
                        c.standard_output = v;
                        output_set = true;
                    }
                    Some(v) => c.standard_error = v,
                    None => warnings.push(
                        e,
                        format!("Failed to parse output specifier, ignoring: {}", e.value),
                    ),
                }
            }
        }
        // A terminal or socket on stdin makes stdout follow it unless set explicitly.
        if !output_set
            && (c.standard_input.is_tty()
                || matches!(c.standard_input, StdInput::Socket | StdInput::Fd(_)))
        {
            c.standard_output = StdOutput::Inherit;
        }
        if let Some(e) = settings.last_entry(section, "TTYPath") {
            c.tty_path = PathBuf::from(&e.value);
        }
        c.ignore_sigpipe = flag(settings, section, "IgnoreSIGPIPE", true, warnings);
        if let Some(e) = settings.last_entry(section, "SyslogIdentifier") {
            c.syslog_identifier = resolved(e, warnings);
        }
        c.syslog_level_prefix = flag(settings, section, "SyslogLevelPrefix", true, warnings);
        if let Some(e) = settings.last_entry(section, "SyslogLevel") {
            match SYSLOG_LEVELS.iter().position(|l| *l == e.value) {
                Some(l) => c.syslog_level = l as u8,
                None => warnings.push(
                    e,
                    format!("Failed to parse log level, ignoring: {}", e.value),
                ),
            }
        }
        c.directories = directories(settings, section, specifiers, warnings);
        privileges_and_scheduling(&mut c, settings, section, specifiers, warnings);
        c
    }
}

/// The capability and scheduling settings (see [`caps`], [`sched`]).
fn privileges_and_scheduling(
    c: &mut ExecContext,
    settings: &Settings,
    section: &str,
    specifiers: &dyn Fn(&str) -> Result<String, String>,
    warnings: &mut Warnings,
) {
    for e in settings.get_all(section, "CapabilityBoundingSet") {
        caps::apply_capability_assignment(&mut c.capability_bounding_set, caps::CAP_ALL, &e.value);
    }
    for e in settings.get_all(section, "AmbientCapabilities") {
        caps::apply_capability_assignment(&mut c.ambient_capabilities, 0, &e.value);
    }
    if let Some(e) = settings.get_all(section, "SecureBits").last() {
        c.secure_bits = caps::parse_secure_bits(&e.value);
    }
    for e in settings.get_all(section, "OOMScoreAdjust") {
        if let Some(v) = sched::parse_oom_score_adjust(e, warnings) {
            c.oom_score_adjust = v;
        }
    }
    for e in settings.get_all(section, "CPUAffinity") {
        match specifiers(&e.value) {
            Ok(v) => sched::apply_cpu_affinity(&mut c.cpu_affinity, e, &v, warnings),
            Err(err) => warnings.push(
                e,
                format!(
                    "Failed to resolve unit specifiers in '{}', ignoring: {err}",
                    e.value
                ),
            ),
        }
    }
    let io = ["IOSchedulingClass", "IOSchedulingPriority"];
    for e in settings
        .entries
        .iter()
        .filter(|e| e.section == section && io.contains(&e.key.as_str()))
    {
        if e.key == "IOSchedulingClass" {
            sched::apply_io_class(&mut c.io_priority, e, warnings);
        } else {
            sched::apply_io_priority(&mut c.io_priority, e, warnings);
        }
    }
}

fn directories(
    settings: &Settings,
    section: &str,
    specifiers: &dyn Fn(&str) -> Result<String, String>,
    warnings: &mut Warnings,
) -> ExecDirectories {
    let mut dirs = ExecDirectories::default();
    for kind in DirKind::ALL {
        let set = dirs.get_mut(kind);
        for e in settings.list_entries(section, kind.setting()) {
            for word in e.value.split_whitespace() {
                match specifiers(word)
                    .ok()
                    .as_deref()
                    .and_then(parse_directory_path)
                {
                    Some(p) if !set.paths.contains(&p) => set.paths.push(p),
                    Some(_) => {}
                    None => warnings.push(
                        e,
                        format!(
                            "{} path is not valid, ignoring assignment: {word}",
                            kind.setting()
                        ),
                    ),
                }
            }
        }
        let mode_key = format!("{}Mode", kind.setting());
        if let Some(e) = settings.last_entry(section, &mode_key) {
            match parse_mode(&e.value) {
                Some(m) => set.mode = m,
                None => warnings.push(e, format!("Invalid mode, ignoring: {}", e.value)),
            }
        }
    }
    if let Some(e) = settings.last_entry(section, "RuntimeDirectoryPreserve") {
        match Preserve::parse(&e.value) {
            Some(p) => dirs.runtime_preserve = p,
            None => warnings.push(
                e,
                format!(
                    "Failed to parse RuntimeDirectoryPreserve=, ignoring: {}",
                    e.value
                ),
            ),
        }
    }
    dirs
}

/// An octal access mode (`0022`, `755`), at most 07777.
pub fn parse_mode(s: &str) -> Option<u32> {
    u32::from_str_radix(s, 8).ok().filter(|m| *m <= 0o7777)
}

/// The value of `e` with its `%` specifiers resolved; `None` (and a warning) when one cannot
/// be, which leaves the setting at its default.
pub(crate) fn resolve(
    e: &Entry,
    specifiers: &dyn Fn(&str) -> Result<String, String>,
    warnings: &mut Warnings,
) -> Option<String> {
    match specifiers(&e.value) {
        Ok(v) => Some(v),
        Err(err) => {
            warnings.push(
                e,
                format!(
                    "Failed to resolve specifiers in {}, ignoring: {err}",
                    e.value
                ),
            );
            None
        }
    }
}

/// A boolean setting with its default; a bad value warns and keeps the default.
pub(crate) fn flag(
    settings: &Settings,
    section: &str,
    key: &str,
    default: bool,
    warnings: &mut Warnings,
) -> bool {
    match settings.last_entry(section, key) {
        None => default,
        Some(e) => parse_bool(&e.value).unwrap_or_else(|| {
            warnings.push(
                e,
                format!("Failed to parse boolean value, ignoring: {}", e.value),
            );
            default
        }),
    }
}
