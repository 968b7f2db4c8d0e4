package dev.layerfs.imaged.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.auth.RaftTls;
import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.RegistryClient;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import dev.layerfs.imaged.testing.TestCa;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three imaged processes whose Raft transport is mutual TLS, each node with its own certificate
 * from one cluster CA. The cluster works as usual (leader, push, pull, membership changes);
 * Raft clients and would-be nodes without a certificate from that CA are refused and change
 * nothing.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftMutualTlsTest {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path dir;
    static TestCa cluster;
    static TestCa other;
    static final List<ImagedProcess> nodes = new ArrayList<>();
    static final List<ImagedProcess> extra = new ArrayList<>();
    static Image image;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCa.create(dir.resolve("cluster-ca"), "cluster");
        other = TestCa.create(dir.resolve("other-ca"), "other");
        StringJoiner peers = new StringJoiner(",");
        for (int i = 1; i <= 3; i++) {
            peers.add("n" + i + "=127.0.0.1:" + ImagedProcess.freePort());
        }
        for (int i = 1; i <= 3; i++) {
            nodes.add(new ImagedProcess("n" + i, peers.toString(), ImagedProcess.freePort(), dir.resolve("n" + i),
                    raftTls(cluster.issue("n" + i))).start());
        }
        ImagedProcess.await(Duration.ofSeconds(150), "a leader and all three nodes registered, over Raft mutual TLS", () ->
                nodes.stream().anyMatch(ImagedProcess::isLeader) && nodes.stream().allMatch(n -> registered(n) == 3));
        image = nodes.get(0).client().pushImage("lib/app", "v1", random(50_000, 1));
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        for (ImagedProcess n : extra) {
            n.close();
        }
        for (ImagedProcess n : nodes) {
            n.close();
        }
    }

    static List<String> raftTls(TestCa.Issued cert) {
        return List.of("--raft-tls-cert", cert.cert().toString(), "--raft-tls-key", cert.key().toString(),
                "--raft-tls-ca", cert.ca().ca().toString());
    }

    static int registered(ImagedProcess n) {
        try {
            return n.status().get("metadata").get("nodes").asInt();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void assertPullable(ImagedProcess node, Image i) throws IOException {
        RegistryClient c = node.client();
        HttpResponse<byte[]> m = c.get("/v2/" + i.repo() + "/manifests/" + i.tag());
        assertEquals(200, m.statusCode(), i.tag() + " from " + node.id());
        assertArrayEquals(i.manifest(), m.body(), i.tag() + " manifest from " + node.id());
        assertArrayEquals(i.layer(), c.get("/v2/" + i.repo() + "/blobs/" + Digest.of(i.layer())).body(), "layer from " + node.id());
    }

    /** The Raft members as the node reports them (ids). */
    static TreeSet<String> members(ImagedProcess n) throws IOException {
        JsonNode s = Json.MAPPER.readTree(n.client().get("/cluster/status").body());
        TreeSet<String> ids = new TreeSet<>();
        s.get("nodes").forEach(x -> {
            if (x.get("member").asBoolean()) {
                ids.add(x.get("id").asText());
            }
        });
        return ids;
    }

    /** A Raft client of the cluster's group with the given transport settings. */
    static RaftClient raftClient(Parameters transport) {
        RaftProperties p = RaftNode.clientProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
        return RaftClient.newBuilder()
                .setProperties(p)
                .setParameters(transport)
                .setRaftGroup(RaftNode.groupOf(ClusterSpec.parse("n1", nodes.get(0).peers())))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3, TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
                .build();
    }

    static Parameters tls(GrpcTlsConfig config) {
        Parameters p = new Parameters();
        GrpcConfigKeys.TLS.setConf(p, config);
        return p;
    }

    /** What a call came to: "answered" with a successful reply, else why not (refused or no answer). */
    static String outcome(Parameters transport, Message request, boolean write) throws Exception {
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> {
            try (RaftClient c = raftClient(transport)) {
                RaftClientReply r = write ? c.io().send(request) : c.io().sendReadOnly(request);
                return r.isSuccess() ? "answered" : "failed reply: " + r.getException();
            } catch (IOException e) {
                return "refused: " + e;
            }
        });
        try {
            return call.get(90, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            return "no answer in 90 s";
        }
    }

    @Test
    @Order(1)
    void aMutualTlsClusterElectsALeaderAndServesPushAndPull() throws Exception {
        for (ImagedProcess n : nodes) {
            assertPullable(n, image);
            assertTrue(n.log().contains("transport mutual TLS"), "node " + n.id() + " says its Raft transport is mutual TLS");
        }
        Image second = nodes.get(2).client().pushImage("lib/app", "v2", random(20_000, 2));
        assertPullable(nodes.get(1), second);
    }

    @Test
    @Order(2)
    void raftClientsWithoutAClusterCertificateAreRefusedAndChangeNothing() throws Exception {
        Message deleteTag = Message.valueOf(ByteString.copyFrom(Json.write(new Command.DeleteTag("lib/app", "v1"))));
        RaftTls stranger = load(other.issue("stranger"));
        RaftTls trustOnly = load(cluster.issue("client"));

        String noTls = outcome(new Parameters(), deleteTag, true);
        String otherCa = outcome(tls(new GrpcTlsConfig(stranger.keyManager(), trustOnly.trustManager(), true)), deleteTag, true);
        String noCert = outcome(tls(new GrpcTlsConfig(null, trustOnly.trustManager(), false)), deleteTag, true);
        for (String o : List.of(noTls, otherCa, noCert)) {
            assertNotEquals("answered", o);
        }
        System.out.println("rogue Raft clients: plaintext: " + noTls + "; other CA: " + otherCa + "; no certificate: " + noCert);
        for (ImagedProcess n : nodes) {
            assertPullable(n, image);
        }

        // The same call with a certificate from the cluster CA is answered: the refusals above are the certificate's doing.
        Message status = Message.valueOf(ByteString.copyFrom(Json.write(new Query.GetStatus())));
        assertEquals("answered", outcome(tls(new GrpcTlsConfig(trustOnly.keyManager(), trustOnly.trustManager(), true)), status, false));
    }

    @Test
    @Order(3)
    void wouldBeNodesWithoutAClusterCertificateCannotJoinWhileClusterAddAndRemoveWork() throws Exception {
        ImagedProcess n1 = nodes.get(0);
        int intruderRaft = ImagedProcess.freePort();
        int plainRaft = ImagedProcess.freePort();
        int n4Raft = ImagedProcess.freePort();
        ImagedProcess intruder = new ImagedProcess("x1", n1.peers() + ",x1=127.0.0.1:" + intruderRaft, ImagedProcess.freePort(),
                dir.resolve("x1"), join(raftTls(other.issue("x1"))));
        ImagedProcess plain = new ImagedProcess("x2", n1.peers() + ",x2=127.0.0.1:" + plainRaft, ImagedProcess.freePort(),
                dir.resolve("x2"), join(List.of()));
        ImagedProcess n4 = new ImagedProcess("n4", n1.peers() + ",n4=127.0.0.1:" + n4Raft, ImagedProcess.freePort(),
                dir.resolve("n4"), join(raftTls(cluster.issue("n4"))));
        for (ImagedProcess p : List.of(intruder, plain, n4)) {
            extra.add(p);
            p.start();
        }
        for (ImagedProcess p : List.of(intruder, plain, n4)) {
            p.awaitHttp(Duration.ofSeconds(90));
        }
        TreeSet<String> before = members(n1);
        assertEquals(new TreeSet<>(List.of("n1", "n2", "n3")), before);

        for (String[] wouldBe : List.of(new String[] {"x1", "" + intruderRaft}, new String[] {"x2", "" + plainRaft})) {
            long started = System.nanoTime();
            HttpResponse<byte[]> add = n1.client().send("POST", "/cluster/members?id=" + wouldBe[0] + "&address=127.0.0.1:" + wouldBe[1], null);
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(503, add.statusCode(), "adding " + wouldBe[0] + ": " + new String(add.body()));
            assertTrue(new String(add.body()).contains("node " + wouldBe[0] + " at 127.0.0.1:" + wouldBe[1]
                    + " was not added, the configuration is unchanged"), new String(add.body()));
            System.out.println("adding would-be node " + wouldBe[0] + ": " + add.statusCode() + " after " + seconds + " s: "
                    + new String(add.body()));
        }
        for (ImagedProcess n : nodes) {
            assertEquals(before, members(n), "membership on " + n.id() + " after the refused joins");
        }
        for (ImagedProcess p : List.of(intruder, plain)) {
            assertNotEquals(200, p.client().get("/v2/lib/app/manifests/v1", "Imaged-Consistency", "local").statusCode(),
                    p.id() + " received no metadata");
        }

        HttpResponse<byte[]> added = n1.client().send("POST", "/cluster/members?id=n4&address=127.0.0.1:" + n4Raft, null);
        assertEquals(200, added.statusCode(), new String(added.body()));
        ImagedProcess.await(Duration.ofSeconds(90), "n4 to catch up over mutual TLS", () -> {
            try {
                return n4.client().get("/v2/lib/app/manifests/v1", "Imaged-Consistency", "local").statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
        assertEquals(new TreeSet<>(List.of("n1", "n2", "n3", "n4")), members(nodes.get(1)));
        HttpResponse<byte[]> removed = nodes.get(2).client().send("DELETE", "/cluster/members/n4", null);
        assertEquals(200, removed.statusCode(), new String(removed.body()));
        assertEquals(before, members(n1));
    }

    private static RaftTls load(TestCa.Issued cert) {
        return RaftTls.load(cert.cert(), cert.key(), cert.ca().ca());
    }

    private static List<String> join(List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.add("--join");
        return all;
    }
}
