package dev.layerfs.imaged.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.meta.Command.AcquireLease;
import dev.layerfs.imaged.meta.Command.CheckLease;
import dev.layerfs.imaged.meta.Command.ReleaseLease;
import dev.layerfs.imaged.meta.Command.RenewLease;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LeasesTest {

    private final Metadata meta = new Metadata();
    private long index;

    /** Applies a command as the state machine does: at the next log index, decoded from JSON. */
    private Outcome apply(Command c) {
        meta.applying(++index);
        return Json.read(Json.write(c), Command.class).applyTo(meta);
    }

    private Lease granted(Outcome o) {
        assertTrue(o.succeeded(), o.message());
        return Json.read(o.detail().getBytes(StandardCharsets.UTF_8), Lease.class);
    }

    @Test
    void aHeldLeaseIsRefusedToAnotherHolderUntilItExpires() {
        Lease a = granted(apply(new AcquireLease("ct/web", "host-a", 1000, 10_000)));
        Outcome refused = apply(new AcquireLease("ct/web", "host-b", 1000, 10_500));
        assertEquals("DENIED", refused.error());
        assertTrue(refused.message().contains("host-a"), refused.message());

        Lease b = granted(apply(new AcquireLease("ct/web", "host-b", 1000, 11_000)));
        assertTrue(b.token() > a.token(), "every grant's token is larger than the one before");
        assertEquals("host-b", b.holder());
    }

    @Test
    void theFormerHolderIsRefusedByTokenAfterExpiryAndReGrant() {
        Lease a = granted(apply(new AcquireLease("ct/web", "host-a", 1000, 10_000)));
        Lease b = granted(apply(new AcquireLease("ct/web", "host-b", 1000, 12_000)));

        assertEquals("DENIED", apply(new CheckLease("ct/web", a.token(), 12_100)).error());
        assertEquals("DENIED", apply(new RenewLease("ct/web", a.token(), 1000, 12_100)).error());
        assertEquals("DENIED", apply(new ReleaseLease("ct/web", a.token(), 12_100)).error());
        assertTrue(apply(new CheckLease("ct/web", b.token(), 12_200)).succeeded());
    }

    @Test
    void renewalExtendsFromTheCommandTimeAndAnExpiredGrantCannotBeRenewed() {
        Lease a = granted(apply(new AcquireLease("x", "h", 1000, 10_000)));
        Lease renewed = granted(apply(new RenewLease("x", a.token(), 1000, 10_900)));
        assertEquals(11_900, renewed.expiresAt());
        assertEquals(a.token(), renewed.token(), "a renewal keeps the token");
        assertEquals("DENIED", apply(new RenewLease("x", a.token(), 1000, 12_000)).error());
    }

    @Test
    void theClockNeverRunsBackwardsSoAStaleProposerCannotRevive() {
        Lease a = granted(apply(new AcquireLease("x", "h", 1000, 10_000)));
        apply(new CheckLease("other", 0, 20_000)); // some later command carried a later time
        assertEquals("DENIED", apply(new CheckLease("x", a.token(), 10_100)).error(), "10 100 is behind the cluster clock");
    }

    @Test
    void releaseFreesTheNameAndLeasesSurviveASnapshot() throws Exception {
        Lease a = granted(apply(new AcquireLease("x", "h", 60_000, 10_000)));
        granted(apply(new AcquireLease("y", "h", 60_000, 10_000)));
        assertTrue(apply(new ReleaseLease("x", a.token(), 10_001)).succeeded());
        assertFalse(meta.lease("x").isPresent());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        meta.writeSnapshot(out);
        Metadata restored = new Metadata();
        restored.readSnapshot(new ByteArrayInputStream(out.toByteArray()));
        assertEquals("h", restored.lease("y").orElseThrow().holder());
        assertFalse(restored.lease("x").isPresent());
    }

    @Test
    void aFencedWriteIsRefusedOnceALaterGrantExistsAndChangesNothing() {
        String m1 = "sha256:" + "1".repeat(64);
        String m2 = "sha256:" + "2".repeat(64);
        Lease a = granted(apply(new AcquireLease("lxc:c1", "host-a", 1000, 10_000)));
        assertTrue(apply(new Command.PutManifestFenced("app", "v1", manifest(m1), 10_100, "lxc:c1", a.token())).succeeded(),
                "the holder's write passes while its grant is live");
        assertTrue(apply(new ReleaseLease("lxc:c1", a.token(), 10_200)).succeeded());
        assertTrue(apply(new Command.CheckFence("lxc:c1", a.token(), 10_300)).succeeded(),
                "after a release, the holder's token is still the latest grant: its stopped container's changes may be committed");

        Lease b = granted(apply(new AcquireLease("lxc:c1", "host-b", 1000, 10_400)));
        Outcome stale = apply(new Command.PutManifestFenced("app", "v1", manifest(m2), 10_500, "lxc:c1", a.token()));
        assertEquals("DENIED", stale.error());
        assertEquals("token " + a.token() + " of lease lxc:c1 was superseded by the grant of token " + b.token() + " to host-b",
                stale.message());
        assertEquals(m1, meta.manifest("app", "v1").orElseThrow().digest(), "the tag did not move");
        assertFalse(meta.manifest("app", m2).isPresent(), "the refused manifest was not stored");
        assertEquals("DENIED", apply(new Command.CheckFence("lxc:never", 1, 10_600)).error());
    }

    private ManifestRecord manifest(String digest) {
        apply(new Command.RecordBlob("app", "sha256:" + "c".repeat(64), 10, java.util.List.of("n1"), null));
        return new ManifestRecord(digest, "application/vnd.oci.image.manifest.v1+json",
                ("{\"m\":\"" + digest + "\"}").getBytes(StandardCharsets.UTF_8), java.util.List.of("sha256:" + "c".repeat(64)), null, null);
    }
}
