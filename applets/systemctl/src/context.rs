//! What every verb works with: the parsed options, the scope they select, and the unit
//! store of that scope (built on first use).

use crate::cli::Options;
use crate::exit::{CtlError, CtlResult};
use std::cell::OnceCell;
use unitbox_core::generator;
use unitbox_core::scope::{Scope, ScopeKind};
use unitbox_core::select::{select, ScopeRequest};
use unitbox_core::unit::UnitStore;

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
        let request = ScopeRequest {
            system: opts.system,
            user: opts.user,
            global: opts.global,
            capsule: opts.capsule.as_deref(),
            root: opts.root.as_deref(),
        };
        let scope = select(&request, &env).map_err(|e| CtlError::failure(e.to_string()))?;
        Ok(Ctx {
            opts,
            scope,
            store: OnceCell::new(),
        })
    }

    pub fn store(&self) -> &UnitStore {
        self.store.get_or_init(|| {
            // Without a unitbox PID 1 nobody else runs the generators (see
            // unitbox_core::generator::fresh); never for a --root tree, whose generators
            // run only on daemon-reload.
            if self.scope.root.is_host() && self.scope.kind != ScopeKind::Global {
                generator::ensure_fresh(&self.scope, &|line| eprintln!("{line}"));
            }
            UnitStore::new(self.scope.clone())
        })
    }

    /// Prints an informational line to stderr unless `-q`.
    pub fn info(&self, line: impl AsRef<str>) {
        if !self.opts.quiet {
            eprintln!("{}", line.as_ref());
        }
    }
}
