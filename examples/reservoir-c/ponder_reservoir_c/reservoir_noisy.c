/* A linear reservoir with uncertain rainfall: the stochastic twin of reservoir.c, run by ponder.sandbox.
 *
 * Storage S (mm) fills with rain r (mm/day) and drains at rate k (per day). The measured rain is
 * multiplied, in every sub-step of dt days, by a log-normal error with mean 1 (the model of
 * examples/reservoir/reservoir.model):
 *
 *     u ~ LogNormal(-sigma_rain^2 / 2, sigma_rain),    S <- S + dt (r u - k S),    Q = k S (mm/day).
 *
 * Run in a folder holding
 *     params.txt   "k sigma_rain dt n seed" and then n rain rates, the one of each sub-step
 *                  (written by the sandbox's write_inputs; seed: a whole number in [0, 2^64))
 *     state.txt    S at the interval's start (the template's initial storage, then this program's output)
 * it takes the n sub-steps, rewrites state.txt with S at the end and writes discharge.txt with Q there,
 * every number with 17 significant digits (a double read back exactly). The random numbers come from
 * xoshiro256** seeded with splitmix64 from `seed` (standard normals by Box-Muller), so one seed always
 * gives the same run, and nothing random is kept between runs: ponder draws a fresh seed for every
 * particle and interval. Exit status 1 and a line on stderr for bad input.
 *
 * Build: cc -O2 -o reservoir_noisy reservoir_noisy.c -lm
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_SUBSTEPS 1000000L

static int fail(const char *what)
{
    fprintf(stderr, "reservoir_noisy: %s\n", what);
    return 1;
}

/* ---------------------------------------------------------------- random numbers */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

typedef struct {
    uint64_t s[4];
    int has_spare;
    double spare;
} rng_t;

static void rng_seed(rng_t *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&seed);
    g->has_spare = 0;
}

static uint64_t xoshiro256ss(rng_t *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* uniform on (0, 1), never 0 or 1: the top 53 bits, centred in their cell */
static double uniform(rng_t *g) { return ((double)(xoshiro256ss(g) >> 11) + 0.5) * 0x1.0p-53; }

/* standard normal, Box-Muller: two per pair of uniforms, the second kept for the next call */
static double normal(rng_t *g)
{
    if (g->has_spare) {
        g->has_spare = 0;
        return g->spare;
    }
    double r = sqrt(-2.0 * log(uniform(g))), a = 6.283185307179586 * uniform(g);
    g->spare = r * sin(a);
    g->has_spare = 1;
    return r * cos(a);
}

/* ---------------------------------------------------------------- the model */
int main(void)
{
    double k, sigma, dt, storage;
    long n;
    char seed_text[32];
    FILE *f = fopen("params.txt", "r");
    if (!f)
        return fail("cannot open params.txt");
    int got = fscanf(f, "%lf %lf %lf %ld %31s", &k, &sigma, &dt, &n, seed_text);
    if (got != 5) {
        fclose(f);
        return fail("params.txt must start with five numbers: k sigma_rain dt n seed");
    }
    char *end;
    errno = 0;
    uint64_t seed = strtoull(seed_text, &end, 10);
    if (*end != '\0' || end == seed_text || seed_text[0] == '-' || errno == ERANGE) {
        fclose(f);
        return fail("the seed must be a whole number in [0, 2^64)");
    }
    if (!(k > 0.0) || !isfinite(k) || !(sigma >= 0.0) || !isfinite(sigma) || !(dt > 0.0) || !isfinite(dt)
        || n < 0 || n > MAX_SUBSTEPS) {
        fclose(f);
        return fail("need k > 0, sigma_rain >= 0, dt > 0 and 0 <= n <= 1000000 sub-steps");
    }
    double *rain = malloc((size_t)(n > 0 ? n : 1) * sizeof *rain);
    if (!rain) {
        fclose(f);
        return fail("out of memory");
    }
    for (long i = 0; i < n; i++) {
        if (fscanf(f, "%lf", &rain[i]) != 1 || !(rain[i] >= 0.0) || !isfinite(rain[i])) {
            fclose(f);
            free(rain);
            return fail("params.txt must then hold n rain rates >= 0, one per sub-step");
        }
    }
    fclose(f);

    f = fopen("state.txt", "r");
    if (!f) {
        free(rain);
        return fail("cannot open state.txt");
    }
    got = fscanf(f, "%lf", &storage);
    fclose(f);
    if (got != 1 || !isfinite(storage)) {
        free(rain);
        return fail("state.txt must hold the storage S");
    }

    rng_t g;
    rng_seed(&g, seed);
    double mu = -0.5 * sigma * sigma; /* E[u] = exp(mu + sigma^2 / 2) = 1 */
    for (long i = 0; i < n; i++) {
        double u = exp(mu + sigma * normal(&g));
        storage += dt * (rain[i] * u - k * storage);
    }
    free(rain);

    f = fopen("state.txt", "w");
    if (!f || fprintf(f, "%.17g\n", storage) < 0 || fclose(f) != 0)
        return fail("cannot write state.txt");
    f = fopen("discharge.txt", "w");
    if (!f || fprintf(f, "%.17g\n", k * storage) < 0 || fclose(f) != 0)
        return fail("cannot write discharge.txt");
    return 0;
}
