//! `systemctl show`: unit properties as `Name=Value` lines in systemd's D-Bus order
//! (type-specific interface first, then the Unit interface), or the manager's properties
//! when no unit is given.
//!
//! - [`props`]: the property list and how `-p`, `--value`, `--all` print it;
//! - [`unit`], [`service`], [`context`]: the Unit and Service interfaces (the latter with
//!   its exec and kill contexts); [`manager`]: the manager;
//! - [`exec`]: `Exec*=` command lines; [`format`]: value formats;
//! - [`runtime`]: the runtime state (inactive until a supervisor records one).
//!
//! Units of other types than services show the Unit interface only.

mod context;
pub mod exec;
pub mod format;
mod manager;
pub mod props;
pub mod runtime;
mod service;
pub mod unit;

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::units::{self, Universe};
use props::{render, PrintOptions, Props};
use runtime::RuntimeState;
use std::borrow::Cow;
use unit::UnitView;
use unitbox_core::unit::UnitName;

pub fn show(ctx: &Ctx) -> CtlResult {
    let opts = PrintOptions {
        filter: ctx.opts.properties.clone(),
        // Naming a property shows it even when empty, as `-p` does in systemctl.
        show_empty: ctx.opts.all || !ctx.opts.properties.is_empty(),
        value_only: ctx.opts.value,
    };
    let store = ctx.store();
    let args = &ctx.opts.args;
    let universe = Universe::load(store, &units::plain_names(args));
    let mut out = String::new();
    if args.is_empty() {
        render(&manager::manager_props(ctx, &universe), &opts, &mut out);
        print!("{out}");
        return Ok(ExitStatus::SUCCESS);
    }
    let names = units::expand(&universe, args)?;
    let mut failure = None;
    for (i, name) in names.iter().enumerate() {
        let parsed = match UnitName::parse(name) {
            Ok(n) if !n.is_template() => n,
            _ => {
                failure = Some(CtlError::failure(format!(
                    "Failed to get properties: Unit name {name} is not valid."
                )));
                break;
            }
        };
        if i > 0 {
            out.push('\n');
        }
        let unit = match universe.get(name) {
            Some(u) => Cow::Borrowed(u),
            None => Cow::Owned(store.load(&parsed)),
        };
        let view = UnitView {
            runtime: RuntimeState::of(store.scope(), &unit),
            unit: &unit,
            universe: &universe,
            store,
        };
        render(&unit_props(&view), &opts, &mut out);
    }
    print!("{out}");
    match failure {
        Some(err) => Err(err),
        None => Ok(ExitStatus::SUCCESS),
    }
}

/// All properties of one unit, in the order systemctl prints them.
fn unit_props(view: &UnitView) -> Props {
    let mut props = Props::default();
    if view.unit.id.unit_type() == "service" {
        view.service_props(&mut props);
    }
    if view.unit.id.unit_type() == "timer" && view.is_loaded() {
        crate::verbs::timers::timer_props(view, &mut props);
    }
    if view.unit.id.unit_type() == "path" && view.is_loaded() {
        crate::verbs::paths::path_props(view, &mut props);
    }
    if view.unit.id.unit_type() == "socket" && view.is_loaded() {
        crate::verbs::sockets::socket_props(view, &mut props);
    }
    view.unit_props(&mut props);
    props
}
