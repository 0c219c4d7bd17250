//! What every verb works with: the parsed options, the scope they select, and the unit
//! store of that scope (built on first use).

use crate::cli::Options;
use crate::exit::{CtlError, CtlResult};
use std::cell::OnceCell;
use unitbox_core::capsule;
use unitbox_core::root::Root;
use unitbox_core::scope::{Scope, ScopeKind};
use unitbox_core::unit::UnitStore;
use unitbox_core::users::Identity;

pub struct Ctx {
    pub opts: Options,
    pub scope: Scope,
    store: OnceCell<UnitStore>,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

impl Ctx {
    pub fn new(opts: Options) -> CtlResult<Self> {
        let kind = select_scope(&opts)?;
        let root = opts.root.as_deref().map(Root::new).unwrap_or_default();
        let identity = match &kind {
            ScopeKind::System | ScopeKind::Global => Identity::root_user(),
            ScopeKind::User => Identity::current(&root, &env),
            // Everything from here on runs as the capsule's user (systemd's client
            // connects to the capsule's bus as that user, too).
            ScopeKind::Capsule(name) => {
                capsule::enter(&root, name).map_err(|e| CtlError::failure(e.to_string()))?
            }
        };
        let scope = Scope::new(kind, root, identity, &env);
        Ok(Ctx {
            opts,
            scope,
            store: OnceCell::new(),
        })
    }

    pub fn store(&self) -> &UnitStore {
        self.store
            .get_or_init(|| UnitStore::new(self.scope.clone()))
    }

    /// Prints an informational line to stderr unless `-q`.
    pub fn info(&self, line: impl AsRef<str>) {
        if !self.opts.quiet {
            eprintln!("{}", line.as_ref());
        }
    }
}

fn select_scope(opts: &Options) -> CtlResult<ScopeKind> {
    if let Some(name) = &opts.capsule {
        if opts.system {
            return Err(CtlError::failure(
                "Cannot access system instance with --capsule=/-C.",
            ));
        }
        if !capsule::name_is_valid(name) {
            return Err(CtlError::failure(format!("Invalid capsule name: {name}")));
        }
        return Ok(ScopeKind::Capsule(name.clone()));
    }
    if opts.global {
        return Ok(ScopeKind::Global);
    }
    if opts.user && !opts.system {
        return Ok(ScopeKind::User);
    }
    Ok(ScopeKind::System)
}
