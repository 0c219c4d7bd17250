//! The units taking part in one install operation (systemd's `InstallContext`): kept in
//! processing order, each discovered once; loading a unit appends its `Also=` units.

use super::changes::ChangeLog;
use super::index::Index;
use super::info::{self, Diagnostics, DiscoverError, FileType, InstallInfo, Load};
use crate::scope::Scope;
use std::path::Path;

/// One unit taking part in an operation (systemd's `InstallInfo` in a context).
#[derive(Debug)]
pub(crate) struct Slot {
    /// The name or path as added.
    pub(crate) key: String,
    pub(crate) auxiliary: bool,
    pub(crate) result: Option<Result<InstallInfo, DiscoverError>>,
    /// The name was an alias of another slot; that one does the work.
    pub(crate) alias: bool,
    /// Its failure was already reported when it was added.
    pub(crate) reported: bool,
}

/// The units of an operation in processing order; loading a unit appends its `Also=`.
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub(crate) slots: Vec<Slot>,
}

impl Context {
    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.key == key)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    pub(crate) fn add(&mut self, key: &str, auxiliary: bool) -> usize {
        if let Some(i) = self.position(key) {
            if !auxiliary {
                self.slots[i].auxiliary = false;
            }
            return i;
        }
        self.slots.push(Slot {
            key: key.to_string(),
            auxiliary,
            result: None,
            alias: false,
            reported: false,
        });
        self.slots.len() - 1
    }

    pub(crate) fn load(
        &mut self,
        i: usize,
        scope: &Scope,
        index: &Index,
        load: Load,
    ) -> Result<InstallInfo, DiscoverError> {
        // Like systemd, a unit already discovered is not read again, even if it was
        // discovered without its [Install] section (presets that disable).
        if self.slots[i].result.is_none() {
            let result = info::discover(scope, index, &self.slots[i].key, load, Diagnostics::Print);
            if let Ok(found) = &result {
                let key_name = Path::new(&self.slots[i].key)
                    .file_name()
                    .and_then(|b| b.to_str())
                    .unwrap_or_default()
                    .to_string();
                if found.name != key_name {
                    // An alias: the unit it points to joins the operation under its own name.
                    self.slots[i].alias = true;
                    let j = self.add(&found.name, self.slots[i].auxiliary);
                    if self.slots[j].result.is_none() {
                        self.slots[j].result = Some(Ok(found.clone()));
                    }
                }
                for also in &found.also {
                    self.add(also, true);
                }
            }
            self.slots[i].result = Some(result);
        }
        self.slots[i]
            .result
            .clone()
            .unwrap_or(Err(DiscoverError::NotFound))
    }
}

/// What `enable`, `preset` and `set-default` refuse: masked, generated and transient units.
pub(crate) fn may_process(scope: &Scope, log: &mut ChangeLog, info: &InstallInfo) -> i32 {
    if info.file_type == FileType::Masked {
        let shown = log.shown(&info.path);
        return log.error(libc::ERFKILL, shown, None);
    }
    let class = info.path.parent().and_then(|p| {
        scope
            .unit_dirs()
            .iter()
            .find(|d| d.path == p)
            .map(|d| d.class)
    });
    if class.is_some_and(|c| c.is_generator() || c == crate::scope::DirClass::Transient) {
        let shown = log.shown(&info.path);
        return log.error(libc::EADDRNOTAVAIL, shown, None);
    }
    0
}

/// Adds and loads `name`, refusing what may not be enabled. Returns the slot or an errno.
pub(crate) fn discover_and_check(
    ctx: &mut Context,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    name: &str,
) -> Result<(), i32> {
    let i = ctx.add(name, false);
    match ctx.load(i, scope, index, Load::Yes) {
        Err(e) => {
            ctx.slots[i].reported = true;
            Err(log.error(e.errno(), name, None))
        }
        Ok(info) => match may_process(scope, log, &info) {
            0 => Ok(()),
            r => Err(r),
        },
    }
}

/// Adds `name` without reading it (what `disable` and presets that disable need).
pub(crate) fn discover_only(
    ctx: &mut Context,
    scope: &Scope,
    index: &Index,
    log: &mut ChangeLog,
    name: &str,
) -> Result<InstallInfo, i32> {
    let i = ctx.add(name, false);
    ctx.load(i, scope, index, Load::No).map_err(|e| {
        ctx.slots[i].reported = true;
        log.error(e.errno(), name, None)
    })
}
