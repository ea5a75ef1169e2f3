package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;

class SingleThreadedBlasTest {

    /**
     * Nested scopes, scopes on other threads that close in another order than they opened, and a body that
     * throws: OpenBLAS is single-threaded while any scope is open and gets its thread count back after the last.
     */
    @Test
    void theLastScopeToCloseRestoresTheThreadCount() throws Exception {
        Blas blas = Nd4j.factory().blas();
        int before = blas.getMaxThreads();
        assertFalse(SingleThreadedBlas.active());

        SingleThreadedBlas.run(() -> {
            assertEquals(1, blas.getMaxThreads());
            assertTrue(SingleThreadedBlas.active());
            SingleThreadedBlas.run(() -> assertEquals(1, blas.getMaxThreads()));
            assertEquals(1, blas.getMaxThreads(), "an inner scope closing must not restore");
        });
        assertEquals(before, blas.getMaxThreads());

        CountDownLatch firstOpen = new CountDownLatch(1);
        CountDownLatch secondOpen = new CountDownLatch(1);
        CountDownLatch firstClosed = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> first = pool.submit(() -> SingleThreadedBlas.run(() -> {
                firstOpen.countDown();
                await(secondOpen);
            }));
            Future<Integer> second = pool.submit(() -> SingleThreadedBlas.call(() -> {
                await(firstOpen);
                secondOpen.countDown();
                await(firstClosed);
                return blas.getMaxThreads();
            }));
            first.get(30, TimeUnit.SECONDS);
            firstClosed.countDown();
            assertEquals(1, second.get(30, TimeUnit.SECONDS), "the first scope closing restored while another was open");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(before, blas.getMaxThreads());

        assertThrows(IllegalStateException.class, () -> SingleThreadedBlas.run(() -> {
            throw new IllegalStateException("body failed");
        }));
        assertEquals(before, blas.getMaxThreads());
        assertFalse(SingleThreadedBlas.active());
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
