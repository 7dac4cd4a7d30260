//! The reverse-mode plan: how each loop's adjoint runs and what it tapes, and what each branch
//! arm hands over to the adjoint sweep. It is made before any code is written ([`build`]:
//! a walk in the adjoint sweep's order finding what each adjoint reads); the emitters of both
//! sweeps and the declarations of tapes only read it. Its dump is what snapshot tests pin:
//!
//! ```text
//! loop 0: backwards, tape (y)      a range walked with `.rev()`, popping `y` each iteration
//! loop 1: fused                    its adjoint runs inside the forward loop
//! loop 2: rerun, tape (s_1)        backwards, each iteration run again before its adjoint
//! loop 3: backwards, keeps (xc)    the scratch buffer `xc` kept per iteration, put back
//! branch 0 arm 1: hands over (a)
//! ```

mod build; // the walk that makes the plan

use crate::ir::Var;
use proc_macro2::Ident;
use std::collections::{BTreeMap, BTreeSet};

/// How a loop's adjoint runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Each iteration's adjoint right after its primal, inside the forward loop (an
    /// accumulation loop at the top of the body).
    Fused,
    /// A second forward pass, each iteration's primal again and then its adjoint (an
    /// accumulation loop that carries values it does not differentiate).
    Replay,
    /// The range again with `.rev()`, recomputing each iteration (popping the tape, if any).
    Backwards,
    /// Popping the tape until it is empty (a loop of unknown trip count at the top level).
    Popped,
    /// Popping back to the tape's length when this run started (a loop of unknown trip count
    /// inside another loop: its forward sweep pushes that length as a mark).
    Marked,
    /// The range again with `.rev()`, running each iteration's primal again (recording what
    /// its adjoint needs, in tapes one iteration long) before its adjoint: a body whose
    /// scratch buffers each iteration fills before reading them. The forward sweep runs the
    /// body plain and tapes only the carried values.
    Rerun,
}

/// One loop's plan.
pub struct LoopPlan {
    /// How its adjoint runs.
    pub strategy: Strategy,
    /// What one iteration pushes, if the loop has a tape (possibly nothing but the count).
    pub tape: Option<Vec<Ident>>,
    /// The scratch buffers whose contents each iteration keeps at its end, put back before its
    /// adjoint (which then reads them instead of taping each read).
    pub kept: Vec<(Var, Ident)>,
    /// The primal values one iteration's adjoint reads: what the adjoint recomputes from
    /// the values carried into the iteration, or finds on the tape.
    pub reads: BTreeSet<Var>,
}

/// The plan of one function's reverse mode.
#[derive(Default)]
pub struct Plan {
    /// By loop id.
    pub loops: BTreeMap<usize, LoopPlan>,
    /// By (branch id, arm): the values the arm hands to the adjoint sweep.
    pub arms: BTreeMap<(usize, usize), Vec<Ident>>,
}

impl Plan {
    /// Records a loop's plan.
    pub fn set_loop(
        &mut self,
        id: usize,
        strategy: Strategy,
        tape: Option<Vec<Ident>>,
        reads: BTreeSet<Var>,
    ) {
        self.loops.insert(id, LoopPlan { strategy, tape, kept: Vec::new(), reads });
    }

    /// Records the buffers loop `id` keeps (see [`LoopPlan::kept`]).
    pub fn keep(&mut self, id: usize, kept: Vec<(Var, Ident)>) {
        if let Some(l) = self.loops.get_mut(&id) {
            l.kept = kept;
        }
    }

    /// The buffers loop `id` keeps.
    pub fn kept(&self, id: usize) -> &[(Var, Ident)] {
        self.loops.get(&id).map_or(&[], |l| &l.kept)
    }

    /// Whether loop `id`'s adjoint has each iteration's own buffers as the iteration left them:
    /// it runs right after the iteration's primal (fused) or runs the iteration again (rerun).
    /// `None` for a loop without adjoint.
    pub fn rebuilds_iterations(&self, id: usize) -> Option<bool> {
        self.loops.get(&id).map(|l| matches!(l.strategy, Strategy::Fused | Strategy::Rerun))
    }

    /// What one iteration of loop `id` pushes, if it has a tape.
    pub fn tape(&self, id: usize) -> Option<&[Ident]> {
        self.loops.get(&id).and_then(|l| l.tape.as_deref())
    }

    /// Whether loop `id`'s adjoint runs each iteration again (its forward sweep runs plain).
    pub fn reruns(&self, id: usize) -> bool {
        self.loops.get(&id).is_some_and(|l| l.strategy == Strategy::Rerun)
    }

    /// Whether loop `id` pops back to marks.
    pub fn marked(&self, id: usize) -> bool {
        self.loops.get(&id).is_some_and(|l| l.strategy == Strategy::Marked)
    }

    /// The stable text form (see the module documentation).
    #[cfg(test)]
    pub fn dump(&self) -> String {
        use std::fmt::Write as _;
        let names = |ids: &[Ident]| ids.iter().map(Ident::to_string).collect::<Vec<_>>().join(", ");
        let mut out = String::new();
        for (id, l) in &self.loops {
            let strategy = format!("{:?}", l.strategy).to_lowercase();
            let kept: Vec<Ident> = l.kept.iter().map(|(_, id)| id.clone()).collect();
            let kept = match kept.is_empty() {
                true => String::new(),
                false => format!(", keeps ({})", names(&kept)),
            };
            let _ = match &l.tape {
                Some(t) => writeln!(out, "loop {id}: {strategy}, tape ({}){kept}", names(t)),
                None => writeln!(out, "loop {id}: {strategy}{kept}"),
            };
        }
        for ((id, arm), saved) in &self.arms {
            let _ = writeln!(out, "branch {id} arm {arm}: hands over ({})", names(saved));
        }
        out
    }
}
