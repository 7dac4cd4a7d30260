//! Snapshots of the IR dump: what lowering makes of small functions.

use super::ir;
use quote::quote;

#[test]
fn ir_of_straight_line_code() {
    let got = ir(quote! {
        fn f(x: f64, c: f64) -> f64 { c * x.sin() + x + c }
    });
    let expected = "\
params x (active), c (active)
t = sin(x) [varied]
t_1 = mul(c, t) [varied]
t_2 = add(t_1, x) [varied]
t_3 = add(t_2, c) [varied]
yield (t_3)
";
    assert_eq!(got, expected);
}

#[test]
fn ir_of_mutation_branches_and_early_return() {
    let got = ir(quote! {
        fn g(x: f64, n: usize) -> f64 {
            let mut s = 0.0;
            if n > 2 { s += x * x; } else { s = x.exp(); }
            if x < 0.0 { return -s; }
            s * (n as f64)
        }
    });
    let expected = "\
params x (active), n
s = const 0.0
(s_3 [varied]) = if n > 2 {
  then =>
    t = mul(x, x) [varied]
    s_1 = add(s, t) [varied]
    yield (s_1)
  else =>
    s_2 = exp(x) [varied]
    yield (s_2)
}
(result [varied]) = if x < 0.0 {
  then =>
    t_3 = neg(s_3) [varied]
    yield (t_3)
  else =>
    t_4 = const (n as f64)
    t_5 = mul(s_3, t_4) [varied]
    yield (t_5)
}
yield (result)
plan:
branch 0 arm 0: hands over ()
branch 0 arm 1: hands over (s_2)
branch 1 arm 0: hands over ()
branch 1 arm 1: hands over (t_4)
";
    assert_eq!(got, expected);
}

#[test]
fn ir_of_match_and_calls() {
    let got = ir(quote! {
        fn h(x: f64, k: u8) -> f64 {
            let y = match k { 0 => x, v if v > 3 => g(x, 2.0), _ => 1.0 };
            detach(y * 2.0) + y
        }
    });
    let expected = "\
params x (active), k
(y [varied]) = match k {
  0 =>
    yield (x)
  v if v > 3 =>
    t = call g(x, 2.0) [varied]
    yield (t)
  _ =>
    yield (1.0)
}
t_2 = const detach(y * 2.0)
t_3 = add(t_2, y) [varied]
yield (t_3)
plan:
branch 0 arm 0: hands over ()
branch 0 arm 1: hands over ()
branch 0 arm 2: hands over ()
";
    assert_eq!(got, expected);
}

/// `return` from inside a loop becomes a `break` and a `return` after the loop; a returned
/// value that reads the loop's own names is kept in a variable declared before the loop.
#[test]
fn return_inside_a_loop_breaks_and_returns_after_it() {
    let dump = ir(quote! {
        fn f(x: &[f64]) -> f64 {
            let mut s = 0.0;
            for i in 0..x.len() {
                if x[i] > 1.0 { return s * 2.0; }
                if x[i] < -1.0 { return x[i]; }
                s += x[i];
            }
            s
        }
    });
    assert!(dump.contains("autodiff_return1_2 = const 1usize"), "{dump}");
    assert!(
        dump.contains("autodiff_value1 = const :: autodiff::__private::placeholder()"),
        "{dump}"
    );
    assert!(dump.contains("autodiff_value1_2 = index(x, i)"), "{dump}");
    assert!(dump.contains("if autodiff_return1_6 == 1usize {"), "{dump}");
    assert!(dump.contains("if autodiff_return1_6 == 2usize {"), "{dump}");
}

/// An element read twice at an index computed the same way is read once, so its adjoint is
/// summed in a register; an index from a call (which may differ between calls) is read again.
#[test]
fn a_computed_index_read_twice_is_read_once() {
    let dump = ir(quote! {
        fn f(x: &[f64], i: usize) -> f64 {
            x[i + 1] * x[i + 1] + x[next(i)] * x[next(i)]
        }
    });
    assert_eq!(dump.matches("index(x, ").count(), 3, "{dump}");
    assert_eq!(dump.matches("const i + 1").count(), 1, "{dump}");
}

/// The plan names each loop's strategy and what it tapes: an accumulation loop at the top
/// fuses; an overwritten value goes on the tape of a range walked backwards; an accumulation
/// carrying an undifferentiated power replays; a `while` pops its tape, and inside another
/// loop pops back to marks; a draw from a generator is taped, never drawn again.
#[test]
fn plans_of_loops() {
    let plan = |item| {
        let dump = ir(item);
        dump.split("plan:\n").nth(1).unwrap_or_default().to_string()
    };
    let rosenbrock = plan(quote! {
        fn f(x: &[f64]) -> f64 {
            let mut s = 0.0;
            for i in 0..x.len() - 1 { let a = x[i + 1] - x[i] * x[i]; s += a * a; }
            s
        }
    });
    assert_eq!(rosenbrock, "loop 0: fused\n");
    let tower = plan(quote! {
        fn f(x: f64, n: usize) -> f64 { let mut y = x; for _ in 0..n { y = (y * x).sin(); } y }
    });
    assert_eq!(tower, "loop 0: backwards, tape (y)\n");
    let llsq = plan(quote! {
        fn f(x: &[f64], n: usize) -> f64 {
            let mut sum = 0.0;
            for i in 0..n {
                let t = i as f64 / n as f64;
                let mut r = t;
                let mut p = 1.0;
                for j in 0..x.len() { r -= x[j] * p; p *= t; }
                sum += r * r;
            }
            sum
        }
    });
    assert_eq!(llsq, "loop 0: replay\nloop 1: fused\n");
    let nested = plan(quote! {
        fn f(x: f64, n: usize) -> f64 {
            let mut y = x;
            for _ in 0..n { let mut k = 0; while k < 3 { y = y * x + 1.0; k += 1; } }
            y
        }
    });
    assert_eq!(nested, "loop 0: marked, tape (y_1)\nloop 1: backwards\n");
    let drawn = plan(quote! {
        fn f(a: f64, c: &mut Counter) -> f64 {
            let mut s = 1.0;
            for _ in 0..2 { let z = c.next(); s = s * a * z; }
            s
        }
    });
    assert_eq!(drawn, "loop 0: backwards, tape (s_1, z)\n");
}

/// A call handed `&mut` state runs in split mode: the forward sweep binds its value and its
/// pullback, which a loop tapes (moved) and a branch arm hands over, so that nothing runs the
/// callee again. The runtime's layers and losses are called in split mode too.
#[test]
fn calls_in_split_mode_keep_their_pullbacks() {
    let dump = ir(quote! {
        fn f(a: f64, rng: &mut Rng) -> f64 {
            let mut s = 1.0;
            for _ in 0..3 { s = s * draw(a, rng); }
            if a > 0.0 { s * draw(a, rng) } else { s }
        }
    });
    assert!(dump.contains("(t, pullback) = call draw(a, rng) [varied]"), "{dump}");
    let plan = dump.split("plan:\n").nth(1).unwrap_or_default();
    let kept = "loop 0: backwards, tape (s_1, t, pullback)\nbranch 1 arm 0: hands over (t_2, pullback_1)\nbranch 1 arm 1: hands over ()\n";
    assert_eq!(plan, kept);
    let layer = ir(quote! {
        fn f(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor { nn::linear(x, w, b).relu().sum() }
    });
    assert!(layer.contains("pullback) = call nn::linear(x, w, b)"), "{layer}");
    let joint = ir(quote! {
        fn f(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor { my::linear(x, w, b).sum() }
    });
    assert!(!joint.contains("pullback"), "{joint}");
}

/// The reverse-mode plan in the IR dump of `item`.
fn plan(item: proc_macro2::TokenStream) -> String {
    let dump = ir(item);
    dump.split("plan:\n").nth(1).unwrap_or_default().to_string()
}

/// A loop whose body fills a scratch buffer before reading it keeps the buffer's contents per
/// iteration (`keeps`), or, when the body writes it again after reading it, runs each
/// iteration again before its adjoint (`rerun`): either way its reads are recomputed, not
/// taped. A loop that only adds into a buffer it does not read, carrying an
/// index, replays forwards. Reads the analysis cannot prove written in the same iteration (an
/// element the fill leaves out, a range ending elsewhere, a draw from a generator) keep the
/// taping strategies.
#[test]
fn plans_of_loops_with_scratch_buffers() {
    let scratch = plan(quote! {
        fn f(x: &[f64], mu: &[f64], d: usize, k: usize) -> f64 {
            let mut xc = vec![0.0; d];
            let mut s = 0.0;
            for c in 0..k {
                for j in 0..d { xc[j] = x[j] - mu[c * d + j]; }
                let mut q = 0.0;
                for j in 0..d { q += xc[j] * xc[j]; }
                s = s * 0.5 + q.sqrt();
            }
            s
        }
    });
    assert_eq!(
        scratch,
        "loop 0: backwards\nloop 1: backwards\nloop 2: backwards, tape (q_3), keeps (xc)\n"
    );
    let rewritten = plan(quote! {
        fn f(x: &[f64], mu: &[f64], d: usize, k: usize) -> f64 {
            let mut b = vec![0.0; d];
            let mut s = 0.0;
            for c in 0..k {
                for j in 0..d { b[j] = x[j] * mu[c]; }
                for j in 0..d { b[j] = b[j].sin(); }
                let mut q = 0.0;
                for j in 0..d { q += b[j] * b[j]; }
                s = s * 0.5 + q;
            }
            s
        }
    });
    assert_eq!(
        rewritten,
        "loop 0: backwards\nloop 1: backwards, tape (t_4)\nloop 2: backwards, tape (t_7, t_6)\nloop 3: rerun, tape (s_1)\n"
    );
    let triangle = plan(quote! {
        fn f(l: &[f64], x: &[f64], d: usize) -> f64 {
            let mut qx = vec![0.0; d];
            let mut idx = 0;
            for i in 0..d {
                for j in i + 1..d { qx[j] += l[idx] * x[i]; idx += 1; }
            }
            let mut s = 0.0;
            for j in 0..d { s += qx[j] * qx[j]; }
            s
        }
    });
    assert_eq!(triangle, "loop 0: replay\nloop 1: backwards, tape (idx_1)\nloop 2: fused\n");
    // a large buffer written at one place per iteration is not kept whole per iteration
    let sparse = plan(quote! {
        fn f(x: &[f64], n: usize, k: usize) -> f64 {
            let mut grid = vec![0.0; n];
            let mut s = 0.0;
            for c in 0..k {
                grid[c % n] = x[c % x.len()] * 2.0;
                s += grid[c % n] * grid[c % n];
            }
            s
        }
    });
    assert!(!sparse.contains("keeps"), "{sparse}");
    let left_out = plan(quote! {
        fn f(x: &[f64], d: usize, k: usize) -> f64 {
            let mut b = vec![0.0; d];
            let mut s = 0.0;
            for c in 0..k {
                for j in 1..d { b[j] = x[j] * c as f64; }
                for j in 0..d { s += b[j] * b[j]; }
            }
            s
        }
    });
    assert!(!left_out.contains("rerun"), "{left_out}");
    let other_end = plan(quote! {
        fn f(x: &[f64], d: usize, k: usize) -> f64 {
            let mut b = vec![0.0; d];
            let mut s = 0.0;
            let m = d - 1;
            for c in 0..k {
                for j in 0..m { b[j] = x[j] * c as f64; }
                for j in 0..d { s += b[j] * b[j]; }
            }
            s
        }
    });
    assert!(!other_end.contains("rerun"), "{other_end}");
    let drawn = plan(quote! {
        fn f(x: &[f64], d: usize, k: usize, rng: &mut Rng) -> f64 {
            let mut b = vec![0.0; d];
            let mut s = 0.0;
            for _ in 0..k {
                for j in 0..d { b[j] = x[j] * rng.normal(); }
                for j in 0..d { s += b[j] * b[j]; }
            }
            s
        }
    });
    assert!(!drawn.contains("rerun"), "{drawn}");
}

/// A buffer a loop makes and passes to a call: the call's adjoint needs it as the call saw it,
/// so the loop runs fused or each iteration again; otherwise (a `break`) the call is passed a
/// copy; a sub-slice of it passed on is an error there.
#[test]
fn plans_of_loops_passing_their_own_buffers_to_calls() {
    let body = |step: proc_macro2::TokenStream, exit: proc_macro2::TokenStream| {
        quote! {
            fn f(mu: &[f64], data: &[f64]) -> f64 {
                let k = mu.len();
                let mut total = 0.0;
                for &x in data {
                    let mut comps = vec![0.0; k];
                    for j in 0..k { comps[j] = (x - mu[j]).sin(); }
                    #step
                    #exit
                }
                total
            }
        }
    };
    let sum = plan(body(quote!(total += lse(&comps);), quote!()));
    assert_eq!(sum, "loop 0: backwards\nloop 1: fused\n");
    let product = plan(body(quote!(total = total * lse(&comps);), quote!()));
    assert_eq!(product, "loop 0: backwards\nloop 1: rerun, tape (total_1)\n");
    // with a `break`, the loop cannot run an iteration again: the call is passed a copy,
    // which the loop's tape keeps
    let copied = plan(body(
        quote!(total = total * lse(&comps);),
        quote!(if total > 3.0 {
            break;
        }),
    ));
    assert!(copied.contains("comps_copy"), "{copied}");
    // a sub-slice passed on passes the buffer
    let errors = super::errors(
        quote!(),
        body(
            quote!(total = total * lse(&comps[1..]);),
            quote!(if total > 3.0 {
                break;
            }),
        ),
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    let product = plan(body(quote!(total = total * lse(&comps[1..]);), quote!()));
    assert_eq!(product, "loop 0: backwards\nloop 1: rerun, tape (total_1)\n");
}

/// A buffer passed to a call and written afterwards: the call is passed a copy taken right
/// before it (`lower::snapshots`), which a loop's adjoint finds on the tape.
#[test]
fn a_buffer_passed_on_then_written_is_copied_for_the_call() {
    let got = ir(quote! {
        fn f(x: &[f64]) -> f64 {
            let mut b: Vec<f64> = vec![0.0; x.len()];
            b[0] = x[0];
            let t = helper(&b);
            b[1] = t;
            b[1]
        }
    });
    assert!(got.contains("b_copy = copy(b) [varied]"), "{got}");
    assert!(got.contains("= call helper(&b_copy) [varied]"), "{got}");
}
