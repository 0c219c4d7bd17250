//! `Condition*=` and `Assert*=` (systemd.unit(5) "Conditions and Asserts"), read and
//! evaluated as systemd 252 does.
//!
//! Reading ([`parse`]): a leading `|` makes a condition *triggering*, then `!` negates it;
//! specifiers are expanded; path conditions need a normalized absolute path. A bad value is
//! ignored with a warning at load time. An empty assignment of any `Condition…=` key drops
//! every condition read so far (and `Assert…=` every assert): both kinds share one list in
//! systemd. The list is kept in systemd's order, the last assignment first, which decides
//! which failure is reported.
//!
//! Evaluating ([`evaluate`]): conditions first, asserts only when the conditions hold. A
//! list holds when every non-triggering entry holds and, if there are triggering entries, at
//! least one of them does. A value that turns out unusable at run time (`ConditionMemory=lots`)
//! makes that entry fail whatever its `!`.

mod check;
mod compare;
pub mod glob;
pub mod paths;

use crate::host::HostFacts;

use crate::scope::{Scope, ScopeKind};
use crate::unit::specifier::{self, SpecifierContext, SpecifierError};
use crate::unit::{Diagnostic, Unit};
use crate::users::UserDb;
use nix::errno::Errno;
use std::fmt;

/// Every condition type systemd 252 knows, named by the part after `Condition`/`Assert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionType {
    Architecture,
    Firmware,
    Virtualization,
    Host,
    KernelCommandLine,
    KernelVersion,
    Credential,
    Security,
    Capability,
    ACPower,
    NeedsUpdate,
    FirstBoot,
    PathExists,
    PathExistsGlob,
    PathIsDirectory,
    PathIsSymbolicLink,
    PathIsMountPoint,
    PathIsReadWrite,
    PathIsEncrypted,
    DirectoryNotEmpty,
    FileNotEmpty,
    FileIsExecutable,
    User,
    Group,
    ControlGroupController,
    CPUs,
    Memory,
    Environment,
    CPUFeature,
    OSRelease,
    MemoryPressure,
    CPUPressure,
    IOPressure,
}

impl ConditionType {
    const ALL: [(ConditionType, &'static str); 33] = {
        use ConditionType::*;
        [
            (Architecture, "Architecture"),
            (Firmware, "Firmware"),
            (Virtualization, "Virtualization"),
            (Host, "Host"),
            (KernelCommandLine, "KernelCommandLine"),
            (KernelVersion, "KernelVersion"),
            (Credential, "Credential"),
            (Security, "Security"),
            (Capability, "Capability"),
            (ACPower, "ACPower"),
            (NeedsUpdate, "NeedsUpdate"),
            (FirstBoot, "FirstBoot"),
            (PathExists, "PathExists"),
            (PathExistsGlob, "PathExistsGlob"),
            (PathIsDirectory, "PathIsDirectory"),
            (PathIsSymbolicLink, "PathIsSymbolicLink"),
            (PathIsMountPoint, "PathIsMountPoint"),
            (PathIsReadWrite, "PathIsReadWrite"),
            (PathIsEncrypted, "PathIsEncrypted"),
            (DirectoryNotEmpty, "DirectoryNotEmpty"),
            (FileNotEmpty, "FileNotEmpty"),
            (FileIsExecutable, "FileIsExecutable"),
            (User, "User"),
            (Group, "Group"),
            (ControlGroupController, "ControlGroupController"),
            (CPUs, "CPUs"),
            (Memory, "Memory"),
            (Environment, "Environment"),
            (CPUFeature, "CPUFeature"),
            (OSRelease, "OSRelease"),
            (MemoryPressure, "MemoryPressure"),
            (CPUPressure, "CPUPressure"),
            (IOPressure, "IOPressure"),
        ]
    };

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
    }

    /// Types whose value is a path (must be absolute and normalized; no blank skipping
    /// after `|` and `!`).
    fn takes_path(self) -> bool {
        use ConditionType::*;
        matches!(
            self,
            PathExists
                | PathExistsGlob
                | PathIsDirectory
                | PathIsSymbolicLink
                | PathIsMountPoint
                | PathIsReadWrite
                | PathIsEncrypted
                | DirectoryNotEmpty
                | FileNotEmpty
                | FileIsExecutable
                | NeedsUpdate
        )
    }
}

/// `Condition…=` (failure skips the unit) or `Assert…=` (failure fails the start job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Condition,
    Assert,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Condition => "Condition",
            Kind::Assert => "Assert",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: Kind,
    pub ctype: ConditionType,
    /// `|`: one of the triggering conditions, of which one must hold.
    pub trigger: bool,
    /// `!`
    pub negate: bool,
    /// The value after `|`/`!`, specifiers expanded.
    pub parameter: String,
}

impl Condition {
    /// The setting name: `ConditionPathExists`.
    pub fn key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.ctype.name())
    }
}

/// The setting as systemd prints it: `ConditionPathExists=|!/x`.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={}{}{}",
            self.key(),
            if self.trigger { "|" } else { "" },
            if self.negate { "!" } else { "" },
            self.parameter
        )
    }
}

/// What became of one condition when its list was evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionResult {
    /// Evaluation stopped before it (an earlier non-triggering entry failed).
    Untested,
    Succeeded,
    Failed,
    /// Could not be determined; counts as failed.
    Error(Errno),
}

impl ConditionResult {
    /// systemd's words (`succeeded`, `failed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionResult::Untested => "untested",
            ConditionResult::Succeeded => "succeeded",
            ConditionResult::Failed => "failed",
            ConditionResult::Error(_) => "error",
        }
    }

    /// What `systemctl status` lists as "was not met".
    pub fn is_not_met(self) -> bool {
        matches!(self, ConditionResult::Failed | ConditionResult::Error(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tested {
    pub condition: Condition,
    pub result: ConditionResult,
}

/// The conditions and asserts of a unit, in evaluation order, plus the load-time warnings.
#[derive(Debug, Clone, Default)]
pub struct ParsedConditions {
    pub conditions: Vec<Condition>,
    pub asserts: Vec<Condition>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Expands specifiers in a value of a unit's setting; the error is the reason in
/// systemd's words (`Invalid slot`).
pub type SpecifierExpander<'a> = &'a dyn Fn(&Unit, &str) -> Result<String, String>;

/// Reads the `Condition*=`/`Assert*=` settings of the `[Unit]` section.
pub fn parse(unit: &Unit, expand: Option<SpecifierExpander>) -> ParsedConditions {
    let mut parsed = ParsedConditions::default();
    for entry in unit.settings.entries.iter().filter(|e| e.section == "Unit") {
        let (kind, type_name) = if let Some(n) = entry.key.strip_prefix("Condition") {
            (Kind::Condition, n)
        } else if let Some(n) = entry.key.strip_prefix("Assert") {
            (Kind::Assert, n)
        } else {
            continue;
        };
        let mut warn = |message: String| {
            parsed.diagnostics.push(Diagnostic {
                file: entry.file.as_ref().clone(),
                line: entry.line,
                message,
            })
        };
        let Some(ctype) = ConditionType::from_name(type_name) else {
            warn(format!(
                "Unknown key name '{}' in section 'Unit', ignoring.",
                entry.key
            ));
            continue;
        };
        let list = match kind {
            Kind::Condition => &mut parsed.conditions,
            Kind::Assert => &mut parsed.asserts,
        };
        if entry.value.is_empty() {
            list.clear();
            continue;
        }
        match parse_value(unit, &entry.key, ctype, &entry.value, expand) {
            Ok((trigger, negate, parameter)) => list.insert(
                0,
                Condition {
                    kind,
                    ctype,
                    trigger,
                    negate,
                    parameter,
                },
            ),
            Err(message) => warn(message),
        }
    }
    parsed
}

fn parse_value(
    unit: &Unit,
    key: &str,
    ctype: ConditionType,
    value: &str,
    expand: Option<SpecifierExpander>,
) -> Result<(bool, bool, String), String> {
    let path = ctype.takes_path();
    let skip_blanks = |s: &str| -> String {
        if path {
            s.to_string()
        } else {
            s.trim_start_matches([' ', '\t', '\n', '\r']).to_string()
        }
    };
    let mut rest = value.to_string();
    let trigger = rest.starts_with('|');
    if trigger {
        rest = skip_blanks(&rest[1..]);
    }
    let negate = rest.starts_with('!');
    if negate {
        rest = skip_blanks(&rest[1..]);
    }
    let expanded = match expand {
        Some(expand) => expand(unit, &rest).map_err(|why| {
            if path {
                format!("Failed to resolve unit specifiers in {rest}, ignoring: {why}")
            } else {
                format!("Failed to resolve unit specifiers in '{rest}', ignoring: {why}")
            }
        })?,
        None => rest,
    };
    if !path {
        return Ok((trigger, negate, expanded));
    }
    if !expanded.starts_with('/') {
        return Err(format!("{key}= path is not absolute, ignoring: {expanded}"));
    }
    let simplified = simplify_path(&expanded);
    if simplified.split('/').any(|c| c == "..") {
        return Err(format!(
            "{key}= path is not normalized, ignoring: {simplified}"
        ));
    }
    Ok((trigger, negate, simplified))
}

/// `path_simplify()`: drops `.` components, repeated and trailing slashes.
fn simplify_path(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// Who the manager is, for `ConditionUser=`/`ConditionGroup=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerIdentity {
    pub uid: u32,
    pub user: String,
    /// The primary group and all supplementary groups.
    pub groups: Vec<u32>,
}

impl ManagerIdentity {
    /// A user manager is the scope's user; the system manager is this process (which in a
    /// container need not be root).
    pub fn of_scope(scope: &Scope, users: &UserDb) -> Self {
        let (uid, gid, user) = match scope.kind {
            ScopeKind::System => {
                let uid = nix::unistd::getuid().as_raw();
                let name = users
                    .user_by_uid(uid)
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| {
                        if uid == 0 {
                            "root".into()
                        } else {
                            uid.to_string()
                        }
                    });
                (uid, nix::unistd::getgid().as_raw(), name)
            }
            _ => (
                scope.identity.uid,
                scope.identity.gid,
                scope.identity.name.clone(),
            ),
        };
        let mut groups = vec![gid];
        for g in users.member_gids(&user) {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        ManagerIdentity { uid, user, groups }
    }
}

/// Everything conditions are evaluated against.
pub struct ConditionContext<'a> {
    /// Paths are looked up inside `scope.root`.
    pub scope: &'a Scope,
    pub manager: ManagerIdentity,
    pub users: UserDb,
    /// The manager's environment (`NAME=VALUE`), for `ConditionEnvironment=`.
    pub environment: Vec<String>,
    pub host: HostFacts,
    /// Replaces the built-in specifier expansion (`crate::unit::specifier`).
    pub specifiers: Option<SpecifierExpander<'a>>,
}

impl<'a> ConditionContext<'a> {
    pub fn new(scope: &'a Scope, environment: Vec<String>) -> Self {
        let users = UserDb::load(&scope.root);
        ConditionContext {
            scope,
            manager: ManagerIdentity::of_scope(scope, &users),
            users,
            environment,
            host: HostFacts::default(),
            specifiers: None,
        }
    }

    /// The context of this process: its environment, host facts read lazily.
    pub fn current(scope: &'a Scope) -> Self {
        let env = std::env::vars_os()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect();
        Self::new(scope, env)
    }

    fn env_var(&self, name: &str) -> Option<&str> {
        self.environment
            .iter()
            .rev()
            .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Start the unit.
    Met,
    /// Skip the unit: the start job succeeds, the unit stays inactive.
    ConditionFailed,
    /// The start job fails.
    AssertFailed,
}

#[derive(Debug, Clone)]
pub struct ConditionOutcome {
    pub verdict: Verdict,
    pub conditions: Vec<Tested>,
    pub asserts: Vec<Tested>,
    /// Load-time problems (`file:line: message`).
    pub diagnostics: Vec<Diagnostic>,
    /// Evaluation problems, as systemd logs them for the unit.
    pub warnings: Vec<String>,
}

impl ConditionOutcome {
    pub fn is_met(&self) -> bool {
        self.verdict == Verdict::Met
    }

    /// `ConditionResult=` of `systemctl show`.
    pub fn condition_result(&self) -> bool {
        self.verdict != Verdict::ConditionFailed
    }

    /// `AssertResult=`: asserts are tested only once the conditions hold.
    pub fn assert_result(&self) -> bool {
        self.verdict == Verdict::Met
    }

    /// The settings of the failed list that were not met, in systemd's order
    /// (`ConditionPathExists=/x`): `systemctl status` prints each followed by `was not met`.
    pub fn not_met(&self) -> Vec<String> {
        let list = match self.verdict {
            Verdict::Met => return Vec::new(),
            Verdict::ConditionFailed => &self.conditions,
            Verdict::AssertFailed => &self.asserts,
        };
        list.iter()
            .filter(|t| t.result.is_not_met())
            .map(|t| t.condition.to_string())
            .collect()
    }
}

/// Reads and evaluates a unit's conditions and asserts.
pub fn evaluate(unit: &Unit, ctx: &ConditionContext) -> ConditionOutcome {
    evaluate_parsed(parse_in(unit, ctx), ctx)
}

/// [`parse`] with the context's specifier expansion (systemd's for unit settings).
pub fn parse_in(unit: &Unit, ctx: &ConditionContext) -> ParsedConditions {
    let builtin = |u: &Unit, text: &str| expand_specifiers(u, text, ctx.scope);
    parse(unit, Some(ctx.specifiers.unwrap_or(&builtin)))
}

/// Specifiers as systemd expands them in unit settings; the error in systemd's words.
fn expand_specifiers(unit: &Unit, text: &str, scope: &Scope) -> Result<String, String> {
    let ctx = SpecifierContext {
        unit: &unit.id,
        fragment: unit.fragment_path.as_deref(),
        scope,
    };
    specifier::expand(text, &ctx).map_err(|e| match e {
        // EBADSLT, which systemd reports for an unknown specifier.
        SpecifierError::Unknown(_) => "Invalid slot".to_string(),
        SpecifierError::Unavailable(_, why) => why,
    })
}

pub fn evaluate_parsed(parsed: ParsedConditions, ctx: &ConditionContext) -> ConditionOutcome {
    let mut warnings = Vec::new();
    let (conditions_hold, conditions) = test_list(parsed.conditions, ctx, &mut warnings);
    let untested = |list: Vec<Condition>| -> Vec<Tested> {
        list.into_iter()
            .map(|condition| Tested {
                condition,
                result: ConditionResult::Untested,
            })
            .collect()
    };
    let (verdict, asserts) = if conditions_hold {
        let (asserts_hold, asserts) = test_list(parsed.asserts, ctx, &mut warnings);
        let verdict = if asserts_hold {
            Verdict::Met
        } else {
            Verdict::AssertFailed
        };
        (verdict, asserts)
    } else {
        (Verdict::ConditionFailed, untested(parsed.asserts))
    };
    ConditionOutcome {
        verdict,
        conditions,
        asserts,
        diagnostics: parsed.diagnostics,
        warnings,
    }
}

/// `condition_test_list()`: whether the list holds, and what each entry gave (entries after
/// the first failing non-triggering one stay untested). Warnings for undeterminable entries
/// are pushed to `warnings`.
pub fn test_list(
    list: Vec<Condition>,
    ctx: &ConditionContext,
    warnings: &mut Vec<String>,
) -> (bool, Vec<Tested>) {
    let mut tested: Vec<Tested> = list
        .into_iter()
        .map(|condition| Tested {
            condition,
            result: ConditionResult::Untested,
        })
        .collect();
    // None: no triggering condition seen yet.
    let mut triggered: Option<bool> = None;
    for t in tested.iter_mut() {
        let c = &t.condition;
        t.result = match check::test(c, ctx) {
            Ok(raw) if raw != c.negate => ConditionResult::Succeeded,
            Ok(_) => ConditionResult::Failed,
            Err(errno) => {
                warnings.push(format!(
                    "Couldn't determine result for {c}, assuming failed: {}",
                    errno.desc()
                ));
                ConditionResult::Error(errno)
            }
        };
        let holds = t.result == ConditionResult::Succeeded;
        if !c.trigger && !holds {
            return (false, tested);
        }
        if c.trigger && triggered != Some(true) {
            triggered = Some(holds);
        }
    }
    (triggered != Some(false), tested)
}

#[cfg(test)]
mod differential_tests;
#[cfg(test)]
mod tests;
