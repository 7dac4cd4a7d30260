// Runs every kernel of ../*.cu on the CPU (cuda.hpp) and compares it with a plain loop. Built
// and run by .ci/kernels:  g++ -std=c++20 -pthread kernels_test.cpp && ./a.out
#include "cuda.hpp"

#include <cstdio>
#include <cstdlib>

#include "../elementwise.cu"
#undef INSTANTIATE
#undef GRID_STRIDE
#include "../reduce.cu"
#undef INSTANTIATE
#undef GRID_STRIDE
#include "../copy.cu"
#undef INSTANTIATE
#undef GRID_STRIDE
#include "../optim.cu"

typedef unsigned long long u64;
static int failures = 0;

static void expect(const char* what, const std::vector<double>& got, const std::vector<double>& want) {
    bool ok = got.size() == want.size();
    for (size_t i = 0; ok && i < got.size(); ++i) {
        ok = fabs(got[i] - want[i]) <= 1e-12 * (fabs(want[i]) > 1 ? fabs(want[i]) : 1);
    }
    if (!ok) {
        ++failures;
        printf("FAILED %s:", what);
        for (size_t i = 0; i < got.size() && i < want.size(); ++i) printf(" %g/%g", got[i], want[i]);
        printf("\n");
    } else {
        printf("ok %s\n", what);
    }
}

static std::vector<double> data(size_t n, double offset) {
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = offset + 0.37 * (double)((i * 7919) % 23) - 3.0;
    return v;
}

int main() {
    // unary: every operation code, with a grid smaller than the data (grid-stride loop)
    {
        auto x = data(37, 0.0);
        for (int op = 0; op < 20; ++op) {
            std::vector<double> y(x.size()), want(x.size());
            double p = op == 12 ? 3.0 : 1.5;
            for (size_t i = 0; i < x.size(); ++i) {
                double v = op == 5 || op == 8 || op == 13 ? fabs(x[i]) + 0.1 : x[i];
                x[i] = v;
                double r[] = {-v, v > 0 ? v : 0, 1 / (1 + exp(-v)), tanh(v), exp(v), log(v), sin(v),
                              cos(v), sqrt(v), fabs(v), (double)((v > 0) - (v < 0)), v > 0 ? 1.0 : 0.0,
                              pow(v, p), pow(v, p), v + p, v - p, p - v, v * p, v / p, p / v};
                want[i] = r[op];
            }
            launch(2, 4, [&] { unary_f64(op, x.size(), x.data(), y.data(), p); });
            char name[32];
            snprintf(name, sizeof name, "unary op %d", op);
            expect(name, y, want);
        }
    }
    // binary, same shapes and broadcast (2x3 with 3, 4x1x3 with 2x1)
    {
        auto a = data(6, 0.5), b = data(6, 1.0);
        std::vector<double> y(6), want(6);
        for (int i = 0; i < 6; ++i) want[i] = a[i] * b[i];
        launch(1, 4, [&] { binary_same_f64(2, 6, a.data(), b.data(), y.data()); });
        expect("binary_same mul", y, want);

        Layout l{};
        // out [2, 3]; a [2, 3] strides (3, 1); b [3] strides (0, 1)
        l.v[0] = 2, l.v[1] = 3, l.v[8] = 3, l.v[9] = 1, l.v[16] = 0, l.v[17] = 1;
        auto row = data(3, 2.0);
        for (int i = 0; i < 6; ++i) want[i] = a[i] - row[i % 3];
        launch(2, 2, [&] { binary_strided_f64(1, 6, 2, l, a.data(), row.data(), y.data()); });
        expect("binary_strided 2x3 - 3", y, want);

        // out [4, 2, 3]: a [4, 1, 3] strides (3, 0, 1); b [2, 1] strides (0, 1, 0)
        Layout m{};
        m.v[0] = 4, m.v[1] = 2, m.v[2] = 3, m.v[8] = 3, m.v[9] = 0, m.v[10] = 1;
        m.v[16] = 0, m.v[17] = 1, m.v[18] = 0;
        auto a3 = data(12, 0.0), b2 = data(2, 5.0);
        std::vector<double> y3(24), w3(24);
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 2; ++j)
                for (int k = 0; k < 3; ++k) w3[(i * 2 + j) * 3 + k] = a3[i * 3 + k] / b2[j];
        launch(3, 4, [&] { binary_strided_f64(3, 24, 3, m, a3.data(), b2.data(), y3.data()); });
        expect("binary_strided 4x1x3 / 2x1", y3, w3);

        std::vector<double> eq(6), weq(6);
        auto c = a;
        c[1] = 99, c[4] = 99;
        for (int i = 0; i < 6; ++i) weq[i] = a[i] == c[i] ? 1 : 0;
        launch(1, 4, [&] { binary_same_f64(4, 6, a.data(), c.data(), eq.data()); });
        expect("binary_same eq", eq, weq);

        auto acc = data(6, 1.0);
        for (int i = 0; i < 6; ++i) want[i] = acc[i] + a[i];
        launch(1, 4, [&] { accumulate_f64(6, a.data(), acc.data()); });
        expect("accumulate", acc, want);

        std::vector<double> f(5), wf(5, 2.5);
        launch(2, 2, [&] { fill_f64(5, 2.5, f.data()); });
        expect("fill", f, wf);

        std::vector<float> narrow(6);
        launch(1, 4, [&] { cast_f64_f32(6, a.data(), narrow.data()); });
        std::vector<double> back(6), wback(6);
        launch(1, 4, [&] { cast_f32_f64(6, narrow.data(), back.data()); });
        for (int i = 0; i < 6; ++i) wback[i] = (double)(float)a[i];
        expect("casts", back, wback);
    }
    // reductions: rows (shared-memory tree, rows > blocks) and strided (middle dimension)
    {
        size_t rows = 5, n = 37;
        auto x = data(rows * n, 0.0);
        std::vector<double> sum(rows), max(rows), wsum(rows, 0.0), wmax(rows, -INFINITY);
        for (size_t r = 0; r < rows; ++r)
            for (size_t j = 0; j < n; ++j) {
                wsum[r] += x[r * n + j];
                wmax[r] = fmax(wmax[r], x[r * n + j]);
            }
        launch(2, 8, [&] { reduce_rows_f64(0, rows, n, 0.0, x.data(), sum.data()); });
        expect("reduce_rows sum", sum, wsum);
        launch(2, 8, [&] { reduce_rows_f64(1, rows, n, -INFINITY, x.data(), max.data()); });
        expect("reduce_rows max", max, wmax);

        // all of a long row: partials from 3 blocks, then one row of partials
        size_t len = 1000;
        auto w = data(len, 0.5);
        std::vector<double> partial(3), total(1), wtotal(1, 0.0);
        for (double e : w) wtotal[0] += e;
        launch(3, 8, [&] { reduce_blocks_f64(0, len, 0.0, w.data(), partial.data()); });
        launch(1, 8, [&] { reduce_rows_f64(0, 1, 3, 0.0, partial.data(), total.data()); });
        expect("reduce_blocks + reduce_rows sum", total, wtotal);

        size_t outer = 3, mid = 4, inner = 5;
        auto z = data(outer * mid * inner, 1.0);
        std::vector<double> s(outer * inner), ws(outer * inner, 0.0);
        for (size_t o = 0; o < outer; ++o)
            for (size_t k = 0; k < mid; ++k)
                for (size_t j = 0; j < inner; ++j) ws[o * inner + j] += z[(o * mid + k) * inner + j];
        launch(2, 4, [&] { reduce_strided_f64(0, outer, mid, inner, 0.0, z.data(), s.data()); });
        expect("reduce_strided sum", s, ws);
    }
    // copies: narrow of [2, 5] to columns 1..4, into a [2, 7] at column 2; transpose of 2x2x3
    {
        auto x = data(10, 0.0);
        std::vector<double> y(14, 0.0), want(14, 0.0);
        for (int o = 0; o < 2; ++o)
            for (int j = 0; j < 3; ++j) want[o * 7 + 2 + j] = x[o * 5 + 1 + j];
        launch(2, 2, [&] { copy_blocks_f64(2, 3, x.data(), 5, 1, y.data(), 7, 2); });
        expect("copy_blocks", y, want);

        auto t = data(12, 0.0);
        std::vector<double> ty(12), tw(12);
        for (int b = 0; b < 2; ++b)
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 3; ++j) tw[b * 6 + j * 2 + i] = t[b * 6 + i * 3 + j];
        launch(2, 4, [&] { transpose_f64(2, 2, 3, t.data(), ty.data()); });
        expect("transpose", ty, tw);
    }
    // optimiser updates and Adam against the CPU's formula (optim/update.rs)
    {
        auto g = data(9, 0.0), p = data(9, 1.0), m = data(9, 0.1), v = data(9, 2.0);
        for (auto& e : v) e = fabs(e);
        auto wp = p, wm = m, wv = v;
        double b1 = 0.9, b2 = 0.999, step = 0.01 / (1 - 0.9), bias2 = 1 - 0.999, eps = 1e-8;
        for (int i = 0; i < 9; ++i) {
            wm[i] = b1 * wm[i] + (1 - b1) * g[i];
            wv[i] = b2 * wv[i] + (1 - b2) * g[i] * g[i];
            wp[i] -= step * wm[i] / (sqrt(wv[i] / bias2) + eps);
        }
        launch(2, 4, [&] {
            adam_f64(9, p.data(), m.data(), v.data(), g.data(), b1, 1 - b1, b2, 1 - b2, step, bias2, eps);
        });
        expect("adam p", p, wp);
        expect("adam m", m, wm);
        expect("adam v", v, wv);

        auto q = data(9, 0.5), wq = q;
        for (int i = 0; i < 9; ++i) wq[i] += 0.25 * g[i] * g[i];
        launch(1, 4, [&] { update_f64(1, 9, 0.25, g.data(), q.data()); });
        expect("update: += alpha x^2", q, wq);
        for (int i = 0; i < 9; ++i) wq[i] += -2.0 * g[i];
        launch(1, 4, [&] { update_f64(0, 9, -2.0, g.data(), q.data()); });
        expect("update: += alpha x", q, wq);

        auto r = data(9, 0.2), wr = r;
        for (int i = 0; i < 9; ++i) wr[i] -= step * m[i] / (sqrt(v[i] / bias2) + eps);
        launch(1, 4, [&] { adam_step_f64(9, r.data(), m.data(), v.data(), step, bias2, eps); });
        expect("adam_step", r, wr);
    }
    printf(failures ? "%d kernel checks FAILED\n" : "every kernel check passed\n", failures);
    return failures ? 1 : 0;
}
