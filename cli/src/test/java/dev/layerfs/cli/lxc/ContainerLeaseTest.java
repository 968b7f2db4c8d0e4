package dev.layerfs.cli.lxc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.layerfs.cli.lxc.LayerfsContainerTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One container name, two hosts (two lxcpaths, two holder ids), one three-node imaged cluster:
 * real lxc-start, real hooks, real renewer processes. The name runs on one host at a time, and
 * the host that lost it is refused by token when it commits.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ContainerLeaseTest {

    private static final String TTL = "3s";

    @TempDir
    static Path shared;
    private static List<ImagedNode> cluster;
    private static Launchers launchers;

    @TempDir
    Path tmp;
    private final List<Path> lxcpaths = new ArrayList<>();

    @BeforeAll
    static void clusterWithABusyboxImage() throws IOException {
        RealLxc.assumeAvailable();
        launchers = Launchers.write(shared.resolve("bin"));
        assumeTrue(Host.run(launchers.layerfs().toString(), "mount", "--help").output().contains("Usage: layerfs mount"),
                "SKIPPED: this build has no `layerfs mount` command yet; the container tests need it");
        cluster = ImagedNode.cluster(shared.resolve("imaged"), 3);
        Path base = BusyboxRootfs.build(shared.resolve("base"));
        Host.run(launchers.imaged().toString(), "push", "--server", node(1).toString(), base.toString(), "busybox:1").ok();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.forEach(ImagedNode::close);
        }
    }

    @AfterEach
    void stopAndUnmountEverything() {
        lxcpaths.forEach(RealLxc::stopAll);
        Host.unmountAllUnder(tmp);
    }

    private static URI node(int i) {
        return cluster.get(i - 1).url();
    }

    /** A host: its own lxcpath and holder id, talking to its own node of the cluster. */
    private record FakeHost(String id, Path lxcpath, URI server) {
        Map<String, String> env() {
            Map<String, String> env = new HashMap<>();
            env.put(HostIdentity.ENV, id);
            env.put(HookLauncher.LAYERFS.env(), launchers.layerfs().toString());
            env.put(HookLauncher.IMAGED.env(), launchers.imaged().toString());
            return env;
        }

        Host.Run imaged(String... args) {
            return Host.run(env(), concat(launchers.imaged().toString(), args));
        }

        Host.Run lxc(String tool, String... args) {
            return Host.run(env(), concat(tool, concat("-P", concat(lxcpath.toString(), args))));
        }

        void create(String name) {
            imaged("lxc", "create", name, "--image", "busybox:1", "--server", server.toString(), "--lease-ttl", TTL,
                    "-P", lxcpath.toString(), "--store", lxcpath.resolveSibling(id + "-layers").toString()).ok();
        }

        boolean running(String name) {
            return lxc("lxc-info", "-n", name, "-s").output().contains("RUNNING");
        }

        /** lxc-start may return while the container is still STARTING. */
        boolean runsSoon(String name) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!running(name)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(200);
            }
            return true;
        }

        Path dir(String name) {
            return lxcpath.resolve(name);
        }
    }

    private FakeHost host(String id, int node) throws IOException {
        Path lxcpath = Files.createDirectory(tmp.resolve(id));
        lxcpaths.add(lxcpath);
        return new FakeHost(id, lxcpath, node(node));
    }

    @Test
    void twoHostsRaceForOneNameOneWinsAndTheLoserTakesOverOnlyAfterTheLeaseLapsesAndTheFormerHolderIsFenced() throws Exception {
        FakeHost a = host("host-a", 1);
        FakeHost b = host("host-b", 3);
        a.create("c1");
        b.create("c1");

        // Both start at once; the registry grants lxc:c1 to one of them.
        CountDownLatch go = new CountDownLatch(1);
        CompletableFuture<Host.Run> startA = CompletableFuture.supplyAsync(() -> awaitThen(go, () -> a.lxc("lxc-start", "-n", "c1")));
        CompletableFuture<Host.Run> startB = CompletableFuture.supplyAsync(() -> awaitThen(go, () -> b.lxc("lxc-start", "-n", "c1")));
        go.countDown();
        Host.Run ranA = startA.get(3, TimeUnit.MINUTES);
        Host.Run ranB = startB.get(3, TimeUnit.MINUTES);
        assertTrue((ranA.exit() == 0) != (ranB.exit() == 0), "exactly one start succeeds:\nA: " + ranA + "\nB: " + ranB);
        FakeHost winner = ranA.exit() == 0 ? a : b;
        FakeHost loser = winner == a ? b : a;
        assertTrue(winner.runsSoon("c1"), "the winner's container runs");
        assertTrue(!loser.running("c1"), "the loser's container does not");
        assertEquals(List.of(), MountTable.mountsAtOrUnder(loser.lxcpath()), "the loser mounted nothing");
        String winnerHolder = holder(winner);
        assertTrue(winnerHolder.endsWith("/" + winner.id()), "the holder id names the host: " + winnerHolder);
        long winnerToken = token(winner);

        // Starting again, in the foreground: refused with the reason on lxc-start's stderr.
        Host.Run refused = loser.lxc("lxc-start", "-F", "-n", "c1");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.output().contains("layerfs-mount-hook: c1: container c1 is not started here: lease lxc:c1 is held by "
                + winnerHolder + " (token " + winnerToken + ")"), refused.output());
        assertTrue(!loser.running("c1"));

        // The renewer keeps the grant alive well past its TTL.
        Thread.sleep(4_000);
        assertTrue(loser.lxc("lxc-start", "-n", "c1").exit() != 0, "still held after more than a TTL: the renewer renews");

        // The winner's renewer dies (the container keeps running there): the grant lapses, the loser takes over.
        long renewer = Long.parseLong(Files.readString(winner.dir("c1").resolve("imaged-lease.pid")).strip());
        assertTrue(Host.run("kill", "-9", Long.toString(renewer)).exit() == 0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Host.Run takeover;
        while ((takeover = loser.lxc("lxc-start", "-n", "c1")).exit() != 0) {
            assertTrue(System.nanoTime() < deadline, "the loser could not start c1 within 30 s of the lease's holder dying:\n" + takeover);
            Thread.sleep(500);
        }
        assertTrue(loser.runsSoon("c1"));
        long loserToken = token(loser);
        assertTrue(loserToken > winnerToken, "the new grant's token is larger: " + loserToken + " > " + winnerToken);

        // Each host changes its copy; the former holder stops its (now fenced) container.
        Files.writeString(winner.dir("c1").resolve("rootfs/root/who"), "former holder\n");
        Files.writeString(loser.dir("c1").resolve("rootfs/root/who"), "current holder\n");
        winner.lxc("lxc-stop", "-n", "c1", "-k").ok();
        loser.lxc("lxc-stop", "-n", "c1").ok();

        // The current holder commits; the former holder's commit with its stale token is refused.
        loser.imaged("lxc", "commit", "c1", "app:1", "-P", loser.lxcpath().toString()).ok();
        String committed = manifestDigest(node(2), "app", "1");
        Host.Run stale = winner.imaged("lxc", "commit", "c1", "app:1", "-P", winner.lxcpath().toString());
        assertEquals(2, stale.exit(), stale.output());
        assertTrue(stale.output().startsWith("imaged: container c1 is not committed: this host's lease is stale (token "
                + winnerToken + " of lease lxc:c1 was superseded by the grant of token " + loserToken + " to "), stale.output());
        for (int i = 1; i <= 3; i++) {
            assertEquals(committed, manifestDigest(node(i), "app", "1"), "app:1 unchanged on n" + i);
        }

        // The registry itself refuses the stale token, in the entry that would store the manifest.
        byte[] manifest = manifestBytes(node(1), "app", "1");
        HttpResponse<String> fenced = putManifest(node(2), "app", "2", manifest, "lxc:c1", winnerToken);
        assertEquals(409, fenced.statusCode(), fenced.body());
        assertTrue(fenced.body().contains("superseded"), fenced.body());
        for (int i = 1; i <= 3; i++) {
            assertEquals(404, get(node(i), "/v2/app/manifests/2").statusCode(), "nothing stored under app:2 on n" + i);
        }
        assertEquals(201, putManifest(node(2), "app", "2", manifest, "lxc:c1", loserToken).statusCode(),
                "the current token passes (its container stopped and released, and nobody took the name since)");
    }

    @Test
    void destroyGivesBackAGrantThePostStopHookCouldNotAndLeavesOneGivenBackAlone() throws Exception {
        FakeHost a = host("host-a", 1);
        for (String name : List.of("c6", "c7")) {
            a.imaged("lxc", "create", name, "--image", "busybox:1", "--server", a.server().toString(), "--lease-ttl", "120s",
                    "-P", a.lxcpath().toString(), "--store", tmp.resolve("layers").toString()).ok();
        }
        // c6 keeps a grant its post-stop hook could not give back (the registry was unreachable then);
        // c7's was given back, as the hook does after a normal stop.
        ContainerLeases c6 = ContainerLeases.of(new ContainerDir(a.lxcpath(), new ContainerName("c6")), a.env()).orElseThrow();
        long token6 = c6.acquire(a.id());
        ContainerLeases.of(new ContainerDir(a.lxcpath(), new ContainerName("c7")), a.env()).orElseThrow().acquire(a.id());
        ContainerLeases c7 = ContainerLeases.of(new ContainerDir(a.lxcpath(), new ContainerName("c7")), a.env()).orElseThrow();
        c7.release();
        assertEquals(200, leaseOnRegistry(a.server(), "lxc:c6").statusCode(), "c6's grant is held (for 120 s)");
        assertEquals(404, leaseOnRegistry(a.server(), "lxc:c7").statusCode(), "c7's grant was given back");

        Host.Run destroyed6 = a.imaged("lxc", "destroy", "c6", "-P", a.lxcpath().toString()).ok();
        Host.Run destroyed7 = a.imaged("lxc", "destroy", "c7", "-P", a.lxcpath().toString()).ok();

        HttpResponse<String> after6 = leaseOnRegistry(a.server(), "lxc:c6");
        assertEquals(404, after6.statusCode(), "the destroy gave c6's grant (token " + token6 + ") back: " + after6.body()
                + "\n" + destroyed6);
        HttpResponse<String> taken = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                a.server().resolve("/leases/lxc:c6?holder=other-host&ttlMs=5000")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, taken.statusCode(), "another host takes the name at once: " + taken.body());
        assertTrue(!destroyed7.output().contains("lapses by itself"), "no warning for a grant already given back:\n" + destroyed7);
    }

    private static HttpResponse<String> leaseOnRegistry(URI server, String name) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.resolve("/leases/" + name)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aContainerIsNotStartedWhenItsLeaseCannotBeTakenUnlessCreatedWithout() throws Exception {
        FakeHost a = host("host-a", 2);
        a.create("c2");
        // The registry moved away: nothing answers where the lease is taken.
        Path leaseFile = a.dir("c2").resolve("imaged.lease");
        Files.writeString(leaseFile, Files.readString(leaseFile).replace(a.server().toString(), "http://127.0.0.1:9"));
        Host.Run refused = a.lxc("lxc-start", "-F", "-n", "c2");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.output().contains("layerfs-mount-hook: c2: container c2 is not started: its lease lxc:c2 cannot be taken"),
                refused.output());
        assertEquals(List.of(), MountTable.mountsAtOrUnder(a.lxcpath()));

        a.imaged("lxc", "create", "c3", "--image", "busybox:1", "--server", a.server().toString(), "--no-lease",
                "-P", a.lxcpath().toString(), "--store", tmp.resolve("layers").toString()).ok();
        assertEquals("base motd\n", a.lxc("lxc-execute", "-n", "c3", "--", "/bin/cat", "/etc/motd").ok().output());
        assertTrue(!Files.exists(a.dir("c3").resolve("imaged.lease")));
    }

    @Test
    void aHostWhoseLeaseWasTakenWhileItsRenewerStalledKillsItsContainer() throws Exception {
        FakeHost a = host("host-a", 3);
        a.create("c4");
        a.lxc("lxc-start", "-n", "c4").ok();
        assertTrue(a.runsSoon("c4"), () -> a.lxc("lxc-info", "-n", "c4").output() + readQuietly(a.dir("c4").resolve("imaged-lease.log"))
                + readQuietly(a.dir("c4").resolve("layerfs.log")));
        long renewer = Long.parseLong(Files.readString(a.dir("c4").resolve("imaged-lease.pid")).strip());

        // The renewer stalls (a long GC pause, a frozen VM) past the TTL; another host takes the name.
        assertEquals(0, Host.run("kill", "-STOP", Long.toString(renewer)).exit());
        Host.Run taken;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            while ((taken = a.imaged("lease", "acquire", "lxc:c4", "--ttl", "60s", "--holder", "elsewhere/other",
                    "--server", node(1).toString())).exit() != 0) {
                assertTrue(System.nanoTime() < deadline, "the stalled grant did not lapse: " + taken);
                Thread.sleep(500);
            }
        } finally {
            Host.run("kill", "-CONT", Long.toString(renewer));
        }
        // Its next renewal is refused: the renewer kills the container rather than run it beside another copy.
        long stopBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (a.running("c4")) {
            assertTrue(System.nanoTime() < stopBy, "the container still runs a minute after losing its lease");
            Thread.sleep(500);
        }
        // The post-stop hook runs on after lxc-info says STOPPED: wait until it has ended the renewer.
        while (ProcessHandle.of(renewer).isPresent() || Files.exists(a.dir("c4").resolve("imaged-lease.pid"))) {
            assertTrue(System.nanoTime() < stopBy, "the renewer " + renewer + " outlived its container by a minute");
            Thread.sleep(200);
        }
        Thread.sleep(1000); // the lease hook's last log line
        String log = Files.readString(a.dir("c4").resolve("imaged-lease.log"));
        assertTrue(log.contains("was lost") && log.contains("killing container c4 so that it runs on one host only"), log);
        assertEquals(List.of(), MountTable.mountsAtOrUnder(a.lxcpath()), "the post-stop hook unmounted the union");
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return file + ": " + e;
        }
    }

    private static <T> T awaitThen(CountDownLatch go, java.util.function.Supplier<T> action) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return action.get();
    }

    private static String holder(FakeHost h) throws IOException {
        return property(h, "holder");
    }

    private static long token(FakeHost h) throws IOException {
        return Long.parseLong(property(h, "token"));
    }

    private static String property(FakeHost h, String key) throws IOException {
        java.util.Properties p = new java.util.Properties();
        p.load(new java.io.StringReader(Files.readString(h.dir("c1").resolve("imaged.lease"))));
        return p.getProperty(key);
    }

    private static HttpResponse<byte[]> get(URI server, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.resolve(path))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] manifestBytes(URI server, String repo, String tag) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = get(server, "/v2/" + repo + "/manifests/" + tag);
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static String manifestDigest(URI server, String repo, String tag) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = get(server, "/v2/" + repo + "/manifests/" + tag);
        assertEquals(200, r.statusCode(), repo + ":" + tag + " on " + server);
        return r.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }

    private static HttpResponse<String> putManifest(URI server, String repo, String tag, byte[] body, String lease, long token)
            throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.resolve("/v2/" + repo + "/manifests/" + tag))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .header("Imaged-Fence-Lease", lease).header("Imaged-Fence-Token", Long.toString(token))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
