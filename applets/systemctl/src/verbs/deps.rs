//! `list-dependencies [UNIT]`: the dependency tree of a unit (default `default.target`) as
//! systemd 252 draws it. Forward edges are Requires=, Requisite=, Wants=, ConsistsOf=,
//! BindsTo=, Upholds=; `--reverse` follows their inverses, `--after`/`--before` the
//! ordering. Only targets are expanded unless `--all`; a unit already on the current path
//! prints as `...` (cycles).

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::output::{ellipsize, terminal_width};
use crate::units::{self, Dep, Universe};
use crate::verbs::show::runtime::RuntimeState;
use unitbox_core::unit::name::is_glob;
use unitbox_core::unit::UnitName;

const FORWARD: [Dep; 6] = [
    Dep::Requires,
    Dep::Requisite,
    Dep::Wants,
    Dep::ConsistsOf,
    Dep::BindsTo,
    Dep::Upholds,
];
const REVERSE: [Dep; 6] = [
    Dep::RequiredBy,
    Dep::RequisiteOf,
    Dep::WantedBy,
    Dep::PartOf,
    Dep::BoundBy,
    Dep::UpheldBy,
];

struct Walk<'a> {
    ctx: &'a Ctx,
    universe: &'a Universe,
    kinds: &'a [Dep],
    plain: bool,
    width: Option<usize>,
    /// Units on the path from the root (all printed units with `--plain`).
    path: Vec<String>,
    out: String,
}

pub fn list_dependencies(ctx: &Ctx) -> CtlResult {
    let opts = &ctx.opts;
    if opts.args.len() > 1 {
        return Err(CtlError::failure("Too many arguments."));
    }
    let name = match opts.args.first() {
        Some(arg) => {
            let mangled = units::mangle(arg)?;
            if is_glob(&mangled) {
                return Err(CtlError::failure(format!(
                    "Glob pattern passed, but globs are not supported for this: {arg}"
                )));
            }
            mangled
        }
        None => "default.target".to_string(),
    };
    let parsed = UnitName::parse(&name)
        .map_err(|_| CtlError::failure("Failed to mangle name: Invalid argument"))?;
    let store = ctx.store();
    let universe = Universe::load(store, std::slice::from_ref(&parsed));
    let kinds: &[Dep] = if opts.after {
        &[Dep::After]
    } else if opts.before {
        &[Dep::Before]
    } else if opts.reverse {
        &REVERSE
    } else {
        &FORWARD
    };
    let mut walk = Walk {
        ctx,
        universe: &universe,
        kinds,
        // Filters break the tree's shape, so systemd prints a list then.
        plain: opts.plain || !opts.types.is_empty() || !opts.states.is_empty(),
        width: (!opts.full).then(terminal_width).flatten(),
        path: Vec::new(),
        out: String::new(),
    };
    walk.out.push_str(&name);
    walk.out.push('\n');
    walk.descend(&name, 0, 0);
    print!("{}", walk.out);
    Ok(ExitStatus::SUCCESS)
}

impl Walk<'_> {
    fn children(&self, name: &str) -> Vec<String> {
        let id = self
            .universe
            .get(name)
            .map(|u| u.id.to_string())
            .unwrap_or_else(|| name.to_string());
        let mut deps: Vec<String> = Vec::new();
        for &kind in self.kinds {
            for dep in self.universe.deps(&id, kind) {
                if !deps.iter().any(|d| d == dep) {
                    deps.push(dep.to_string());
                }
            }
        }
        // Targets last, then by name ignoring case.
        deps.sort_by_key(|d| (d.ends_with(".target"), d.to_ascii_lowercase()));
        deps
    }

    fn descend(&mut self, name: &str, level: usize, branches: u64) {
        self.path.push(name.to_string());
        let children = self.children(name);
        let opts = &self.ctx.opts;
        for (i, child) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            let child_branches = (branches << 1) | u64::from(!last);
            if self.path.contains(child) {
                if !self.plain {
                    self.out.push_str("  ");
                    self.print_line("...", level + 1, child_branches, true);
                }
                continue;
            }
            let unit_type = child.rsplit('.').next().unwrap_or("");
            if !opts.types.is_empty() && !opts.types.iter().any(|t| t == unit_type) {
                continue;
            }
            let state = self
                .universe
                .get(child)
                .map(|u| RuntimeState::of(self.ctx.store().scope(), u))
                .unwrap_or_default();
            if !opts.states.is_empty() {
                let load = self
                    .universe
                    .get(child)
                    .map(|u| u.load_state.as_str())
                    .unwrap_or("not-found");
                if !opts
                    .states
                    .iter()
                    .any(|s| *s == state.active_state || s == load || *s == state.sub_state)
                {
                    continue;
                }
            }
            if self.plain {
                self.out.push_str("  ");
            } else {
                self.out.push_str(state.glyph());
                self.out.push(' ');
            }
            self.print_line(child, level, branches, last);
            if opts.all || unit_type == "target" {
                self.descend(child, level + 1, child_branches);
            }
        }
        if !self.plain {
            self.path.pop();
        }
    }

    /// The branch glyphs of `level` ancestors, the connector, and the (ellipsized) name.
    fn print_line(&mut self, name: &str, level: usize, branches: u64, last: bool) {
        let mut used = 0;
        if !self.plain {
            for i in (0..level).rev() {
                let vertical = i < 64 && branches & (1 << i) != 0;
                self.out.push_str(if vertical { "│ " } else { "  " });
            }
            self.out.push_str(if last { "└─" } else { "├─" });
            used = 2 * (level + 1) + 2;
        }
        let name = match self.width {
            Some(w) => ellipsize(name, w.max(20).saturating_sub(used)),
            None => name.to_string(),
        };
        self.out.push_str(&name);
        self.out.push('\n');
    }
}
