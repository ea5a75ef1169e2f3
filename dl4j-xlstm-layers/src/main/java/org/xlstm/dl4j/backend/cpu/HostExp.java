package org.xlstm.dl4j.backend.cpu;

/**
 * exp over float arrays in passes that HotSpot's C2 vectorises: {@code Math.exp} is a scalar call, which
 * makes loops over it several times slower than the arithmetic around them (the SiLU of
 * {@link HostPointwise}, the decay weights of the host chunkwise kernels).
 */
public final class HostExp {
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 as a float sum, so {@code t - k ln 2} stays exact to float precision for |k| up to 127. */
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;
    /** Adding and subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUNDER = 12582912f;
    /**
     * exp(t) is evaluated for t in [-87, 88], where 2^round(t log2 e) is a normal float: below, the result is
     * exp(-87) (1.6e-38) instead of a smaller number or 0; above, exp(88) instead of a larger one.
     */
    public static final float MIN_ARGUMENT = -87f;
    public static final float MAX_ARGUMENT = 88f;

    private HostExp() {
    }

    /**
     * out[i] = exp(sign * x[i]) for i < n, relative error below 2e-7 for arguments in [MIN_ARGUMENT,
     * MAX_ARGUMENT] (clamped there). exp(t) is 2^k p(r) with k = round(t log2 e), r = t - k ln 2 in
     * [-ln2/2, ln2/2] and p Cephes' degree-7 expf polynomial. The first and last passes are plain float
     * arithmetic, which C2 vectorises; the middle one builds 2^k from its exponent bits, which it does not.
     * {@code scale} is scratch of at least n elements; {@code out} may be {@code x}.
     */
    public static void exp(float[] x, float sign, int n, float[] out, float[] scale) {
        for (int i = 0; i < n; i++) {
            float t = Math.min(Math.max(sign * x[i], MIN_ARGUMENT), MAX_ARGUMENT);
            float k = (t * LOG2E + ROUNDER) - ROUNDER;
            float r = t - k * LN2_HIGH - k * LN2_LOW;
            float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r
                    + 4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
            out[i] = p * (r * r) + r + 1f;
            scale[i] = k;
        }
        for (int i = 0; i < n; i++) {
            scale[i] = Float.intBitsToFloat(((int) scale[i] + 127) << 23);
        }
        for (int i = 0; i < n; i++) {
            out[i] *= scale[i];
        }
    }
}
