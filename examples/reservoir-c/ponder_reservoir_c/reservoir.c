/* A linear reservoir (rainfall-runoff) model: the existing program that ponder.sandbox runs.
 *
 * Storage S (mm) fills with rain r (mm/day) and drains at rate k (per day):
 *
 *     dS/dt = r - k S,    discharge Q = k S (mm/day).
 *
 * With r constant over [t0, t1] the solution is exact:
 *
 *     S(t1) = r/k + (S(t0) - r/k) exp(-k (t1 - t0)).
 *
 * Run in a folder holding
 *     params.txt   "k t0 t1 r" (written by the sandbox's write_inputs)
 *     state.txt    S at t0 (the template's initial storage, then this program's own output)
 * it rewrites state.txt with S at t1 and writes discharge.txt with Q at t1, every number with 17
 * significant digits (a double read back exactly). Exit status 1 and a line on stderr for bad input.
 *
 * Build: cc -O2 -o reservoir reservoir.c -lm
 */
#include <math.h>
#include <stdio.h>

static int fail(const char *what)
{
    fprintf(stderr, "reservoir: %s\n", what);
    return 1;
}

int main(void)
{
    double k, t0, t1, rain, storage;
    FILE *f = fopen("params.txt", "r");
    if (!f)
        return fail("cannot open params.txt");
    int got = fscanf(f, "%lf %lf %lf %lf", &k, &t0, &t1, &rain);
    fclose(f);
    if (got != 4)
        return fail("params.txt must hold four numbers: k t0 t1 rain");
    if (!(k > 0.0) || !isfinite(k) || !(t1 >= t0) || !(rain >= 0.0))
        return fail("need k > 0, t1 >= t0 and rain >= 0");

    f = fopen("state.txt", "r");
    if (!f)
        return fail("cannot open state.txt");
    got = fscanf(f, "%lf", &storage);
    fclose(f);
    if (got != 1 || !isfinite(storage))
        return fail("state.txt must hold the storage S");

    double equilibrium = rain / k;
    storage = equilibrium + (storage - equilibrium) * exp(-k * (t1 - t0));

    f = fopen("state.txt", "w");
    if (!f || fprintf(f, "%.17g\n", storage) < 0 || fclose(f) != 0)
        return fail("cannot write state.txt");
    f = fopen("discharge.txt", "w");
    if (!f || fprintf(f, "%.17g\n", k * storage) < 0 || fclose(f) != 0)
        return fail("cannot write discharge.txt");
    return 0;
}
