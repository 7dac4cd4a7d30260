//! Methods that change a sequence of floats in place (`swap`, `reverse`, `copy_from_slice`,
//! `extend_from_slice`, `sort_by`) and `std::mem::swap`, element by element.

use super::walk::Desugar;
use syn::{Expr, Ident, parse_quote};

impl Desugar {
    /// The element-wise form of a method changing a sequence of floats in place:
    ///
    /// ```text
    /// b.swap(i, j)            => { let (p, q) = (i, j); let t = b[p]; b[p] = b[q]; b[q] = t; }
    /// b.reverse()             => { let n = b.len(); for k in 0..n / 2 { (swap k and n - 1 - k) } }
    /// b.copy_from_slice(s)    => { (lengths checked); for k in 0..b.len() { b[k] = s[k]; } }
    /// b.extend_from_slice(s)  => for k in 0..s.len() { b.push(s[k]); }
    /// ```
    ///
    /// (Different lengths in `copy_from_slice`, and an index past a sub-slice's end in `swap`,
    /// panic, as the methods themselves do.)
    pub(super) fn element_wise(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let receiver = match &*m.receiver {
            Expr::Reference(r) if r.mutability.is_some() => &*r.expr,
            r => r,
        };
        // (`swap` and `reverse` move elements of any local sequence, `[y, z]` of float locals
        // included; copies need floats)
        let moves = matches!(m.method.to_string().as_str(), "swap" | "reverse")
            && self.floats.is_plain(receiver);
        if !moves && !self.floats.is_seq(receiver) {
            return None;
        }
        let seq = self.seq(receiver)?;
        let (name, written) = (seq.name.clone(), seq.written.clone());
        let (k, t) = (self.fresh("k"), self.fresh("t"));
        let at = |i: &Expr| seq.at(i);
        Some(match m.method.to_string().as_str() {
            "swap" => {
                let (p, q, n) = (self.fresh("p"), self.fresh("q"), self.fresh("n"));
                let (i, j) = (&m.args[0], &m.args[1]);
                let (ap, aq) = (at(&parse_quote!(#p)), at(&parse_quote!(#q)));
                // (in a sub-slice, an index past its end panics, as `swap` does)
                let checks: Vec<syn::Stmt> = match &seq.offset {
                    None => Vec::new(),
                    Some(_) => vec![
                        parse_quote!(let #n = (#written).len();),
                        parse_quote!(let #p = (0..#n).nth(#p).expect("index out of bounds: the index is not below the slice's length");),
                        parse_quote!(let #q = (0..#n).nth(#q).expect("index out of bounds: the index is not below the slice's length");),
                    ],
                };
                parse_quote!({
                    let (#p, #q) = (#i, #j);
                    #(#checks)*
                    let #t = #name[#ap];
                    #name[#ap] = #name[#aq];
                    #name[#aq] = #t;
                })
            }
            "reverse" => {
                let n = self.fresh("n");
                let (front, back) = (at(&parse_quote!(#k)), at(&parse_quote!(#n - 1 - #k)));
                parse_quote!({
                    let #n = (#written).len();
                    for #k in 0..#n / 2 {
                        let #t = #name[#front];
                        #name[#front] = #name[#back];
                        #name[#back] = #t;
                    }
                })
            }
            method => {
                let src = m.args.first()?;
                // (or a call's result bound without a type: `let n = step(&y); y = n;`)
                let src = match self.floats.is_seq(src) {
                    true => self.seq(src)?,
                    false => self.result_seq(src)?,
                };
                let (src_name, src_written) = (&src.name, &src.written);
                let read = src.at(&parse_quote!(#k));
                if method == "copy_from_slice" {
                    let to = at(&parse_quote!(#k));
                    let n = self.fresh("n");
                    // (different lengths panic, as `copy_from_slice` does)
                    parse_quote!({
                        let #n = (#written).len();
                        (0..usize::from(#n == (#src_written).len())).nth(0).expect("source slice length does not match destination slice length");
                        for #k in 0..#n {
                            #name[#to] = #src_name[#read];
                        }
                    })
                } else {
                    if seq.offset.is_some() || !self.floats.is_vec(receiver) {
                        return None;
                    }
                    parse_quote!({
                        for #k in 0..(#src_written).len() {
                            #name.push(#src_name[#read]);
                        }
                    })
                }
            }
        })
    }

    /// `b.sort_by(cmp)` of a sequence of floats: the permutation that sorts it found on indices
    /// with the comparator as written (`sort_by` is stable, so it is the one sorting the values
    /// makes), then the elements moved through a buffer of their own, so each element's adjoint
    /// follows it:
    ///
    /// ```text
    /// b.sort_by(cmp)  =>  { let mut perm: Vec<usize> = (0..b.len()).collect();
    ///                       perm.sort_by(|&i, &j| compare(cmp, &b[i], &b[j]));
    ///                       let mut sorted = vec![0.0; b.len()];
    ///                       for k in 0..b.len() { sorted[k] = b[perm[k]]; }
    ///                       for k in 0..b.len() { b[k] = sorted[k]; } }
    /// ```
    pub(super) fn sorted(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let receiver = match &*m.receiver {
            Expr::Reference(r) if r.mutability.is_some() => &*r.expr,
            r => r,
        };
        if !self.floats.is_seq(receiver) || !crate::syntax::is_simple(receiver) {
            return None;
        }
        let seq = self.seq(receiver)?;
        if seq.offset.is_some() {
            return None;
        }
        let name = seq.name.clone();
        let (perm, sorted, k, i, j) = (
            self.fresh("perm"),
            self.fresh("sorted"),
            self.fresh("k"),
            self.fresh("i"),
            self.fresh("j"),
        );
        let (method, cmp, rt) = (&m.method, &m.args[0], &self.rt);
        Some(parse_quote!({
            let mut #perm: ::std::vec::Vec<usize> = (0..(#name).len()).collect();
            #perm.#method(|&#i, &#j| #rt::compare(#cmp, &#name[#i], &#name[#j]));
            let mut #sorted = vec![0.0; (#name).len()];
            for #k in 0..(#name).len() {
                #sorted[#k] = #name[#perm[#k]];
            }
            for #k in 0..(#name).len() {
                #name[#k] = #sorted[#k];
            }
        }))
    }
}

/// `a` of `&mut a`.
pub(super) fn mut_name(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Reference(r) if r.mutability.is_some() => match &*r.expr {
            Expr::Path(p) => p.path.get_ident(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a call's function is `std::mem::swap` (or `core::`, or `mem::swap`).
pub(super) fn is_mem_swap(f: &Expr) -> bool {
    let Expr::Path(p) = f else { return false };
    let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        names.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["mem", "swap"] | ["std" | "core", "mem", "swap"]
    )
}
