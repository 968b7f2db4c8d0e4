package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.Command;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.meta.Lease;
import dev.layerfs.imaged.meta.NodeRecord;
import dev.layerfs.imaged.meta.Outcome;
import dev.layerfs.imaged.meta.Query;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import dev.layerfs.imaged.ops.Operations;
import dev.layerfs.imaged.ops.Readiness;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operations API, beside the OCI API: {@code /cluster/status}, {@code /cluster/members},
 * {@code /gc}, {@code /leases/NAME}, {@code /metrics}, {@code /ready} and the status page {@code /ui}. A thin
 * translator over {@link Operations}; errors are answered by {@link ErrorResponses} like the
 * registry's.
 */
final class OpsHandler {

    private static final Pattern MEMBER = Pattern.compile("/cluster/members/([^/]+)");
    private static final Pattern LEASE = Pattern.compile("/leases/([A-Za-z0-9][A-Za-z0-9_.:-]{0,127})(/check|/fence)?");

    private final Operations ops;
    private final dev.layerfs.imaged.auth.PeerAccess peers;
    private final HttpClient http;

    OpsHandler(Operations ops, dev.layerfs.imaged.auth.PeerAccess peers) {
        this.ops = ops;
        this.peers = peers;
        this.http = peers.httpClient().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
    }

    static boolean handles(String path) {
        return path.startsWith("/cluster/") || path.equals("/gc") || path.startsWith("/leases/")
                || path.equals("/metrics") || path.equals("/ready") || path.equals("/ui") || path.equals("/ui/");
    }

    void handle(Exchange ex, String path) throws Exception {
        Matcher m;
        if (path.equals("/cluster/status")) {
            status(ex);
        } else if (path.equals("/cluster/members") && ex.method().equals("POST")) {
            String id = required(ex, "id");
            ex.sendJson(200, Map.of("members", ops.membership().add(id, required(ex, "address"))));
        } else if ((m = MEMBER.matcher(path)).matches() && ex.method().equals("DELETE")) {
            ex.sendJson(200, Map.of("members", ops.membership().remove(m.group(1))));
        } else if (path.equals("/gc") && ex.method().equals("POST")) {
            boolean dryRun = ex.param("dryRun").map(Boolean::parseBoolean).orElse(false);
            boolean untagged = ex.param("untagged").map(Boolean::parseBoolean).orElse(false);
            Long grace = ex.param("graceMs").map(v -> number("graceMs", v)).orElse(null);
            ex.sendJson(200, ops.gc().collect(dryRun, untagged, grace));
        } else if ((m = LEASE.matcher(path)).matches()) {
            lease(ex, m.group(1), m.group(2) == null ? ex.method() : m.group(2).substring(1).toUpperCase(java.util.Locale.ROOT));
        } else if (path.startsWith("/leases/")) {
            throw new RegistryException(ErrorCode.NAME_INVALID, 400, "invalid lease name '" + path.substring(8)
                    + "' (letters, digits, '.', '_', ':', '-'; at most 128)", path.substring(8));
        } else if (path.equals("/ready") && (ex.method().equals("GET") || ex.isHead())) {
            Readiness r = Readiness.of(ops.raftView());
            ex.sendJson(r.ready() ? 200 : 503, r);
        } else if (path.equals("/metrics")) {
            ex.sendBytes(200, "text/plain; version=0.0.4; charset=utf-8", ops.scrape().getBytes(StandardCharsets.UTF_8));
        } else if (path.startsWith("/ui")) {
            try (InputStream page = OpsHandler.class.getResourceAsStream("/dev/layerfs/imaged/ops/ui.html")) {
                ex.sendBytes(200, "text/html; charset=utf-8", page.readAllBytes());
            }
        } else {
            ErrorResponses.unsupported(ex, path);
        }
    }

    /**
     * Health and follower positions are the leader's knowledge: a follower forwards the question
     * to the leader's HTTP API, and answers with its own view when the leader cannot be reached.
     */
    private void status(Exchange ex) throws IOException {
        boolean localOnly = ex.param("local").map(Boolean::parseBoolean).orElse(false);
        String leader = ops.raftView().leader();
        if (!localOnly && leader != null && !leader.equals(ops.self())) {
            Optional<NodeRecord> node = ops.meta().read(new Query.ListNodes(), dev.layerfs.imaged.meta.ReadMode.LOCAL)
                    .orElseThrow().nodes().stream().filter(n -> n.id().equals(leader)).findFirst();
            if (node.isPresent()) {
                try {
                    HttpRequest req = peers.sign(HttpRequest.newBuilder(peers.uri(node.get().httpAddress(), "/cluster/status?local=true"))
                            .timeout(Duration.ofSeconds(5)).GET()).build();
                    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() == 200) {
                        ex.sendBytes(200, "application/json", r.body());
                        return;
                    }
                } catch (IOException e) {
                    // the leader is not reachable over HTTP: report what this node knows
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        ex.sendJson(200, ops.status().report());
    }

    private void lease(Exchange ex, String name, String action) {
        long now = System.currentTimeMillis();
        switch (action) {
            case "GET" -> {
                Lease l = ops.meta().read(new Query.GetLease(name), RegistryHandler.readMode(ex)).orElseThrow(() ->
                        new RegistryException(ErrorCode.NAME_UNKNOWN, 404, "lease " + name + " is not held", name));
                ex.sendJson(200, l);
            }
            case "POST" -> {
                String holder = required(ex, "holder");
                answer(ex, ops.meta().apply(new Command.AcquireLease(name, holder, ttl(ex), now)));
            }
            case "PUT" -> answer(ex, ops.meta().apply(new Command.RenewLease(name, token(ex), ttl(ex), now)));
            case "DELETE" -> {
                ops.meta().apply(new Command.ReleaseLease(name, token(ex), now)).orThrow();
                ex.sendEmpty(204);
            }
            case "CHECK" -> answer(ex, ops.meta().apply(new Command.CheckLease(name, token(ex), now)));
            // Would a write under this token pass the fence (no later grant)? For a fenced writer's early check.
            case "FENCE" -> answer(ex, ops.meta().apply(new Command.CheckFence(name, token(ex), now)));
            default -> ErrorResponses.unsupported(ex, "leases");
        }
    }

    private static void answer(Exchange ex, Outcome outcome) {
        outcome.orThrow();
        ex.sendBytes(200, "application/json", outcome.detail().getBytes(StandardCharsets.UTF_8));
    }

    private static long ttl(Exchange ex) {
        long ttl = number("ttlMs", required(ex, "ttlMs"));
        if (ttl < 1 || ttl > Duration.ofDays(7).toMillis()) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, 400, "lease ttlMs " + ttl + " is outside 1 ms - 7 days", null);
        }
        return ttl;
    }

    private static long token(Exchange ex) {
        return number("token", required(ex, "token"));
    }

    private static String required(Exchange ex, String name) {
        return ex.param(name).filter(v -> !v.isBlank()).orElseThrow(() ->
                new RegistryException(ErrorCode.NAME_INVALID, 400, "query parameter '" + name + "' is required", name));
    }

    private static long number(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.NAME_INVALID, 400, name + " '" + value + "' is not a number", value);
        }
    }
}
