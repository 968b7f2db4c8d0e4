package dev.layerfs.imaged.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.auth.AccessPolicy.Kind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessPolicyTest {

    static final String PUSH = "push-token-0123456789";
    static final String OTHER = "other-token-0123456789";
    static final String NODES = "cluster-token-0123456789";

    @TempDir
    Path dir;

    private static AccessPolicy policy(boolean authPulls) {
        return new AccessPolicy(Optional.of(TokenSet.of(List.of(PUSH, OTHER))), authPulls, Optional.of(TokenSet.of(List.of(NODES))));
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyMethodButGetAndHeadIsAWriteAndInternalPathsAreNodeCalls() {
        assertEquals(Kind.READ, AccessPolicy.kind("GET", "/v2/a/manifests/v1"));
        assertEquals(Kind.READ, AccessPolicy.kind("HEAD", "/v2/a/blobs/sha256:00"));
        assertEquals(Kind.WRITE, AccessPolicy.kind("PUT", "/v2/a/manifests/v1"));
        assertEquals(Kind.WRITE, AccessPolicy.kind("DELETE", "/v2/a/blobs/sha256:00"));
        assertEquals(Kind.WRITE, AccessPolicy.kind("PATCH", "/v2/a/blobs/uploads/x"));
        assertEquals(Kind.WRITE, AccessPolicy.kind("POST", "/cluster/members"), "future admin endpoints are writes");
        assertEquals(Kind.WRITE, AccessPolicy.kind("GET", "/v2/"), "the base endpoint challenges");
        assertEquals(Kind.PROBE, AccessPolicy.kind("GET", "/ready"));
        assertEquals(Kind.WRITE, AccessPolicy.kind("POST", "/ready"));
        assertEquals(Kind.INTERNAL, AccessPolicy.kind("GET", "/internal/status"));
        assertEquals(Kind.INTERNAL, AccessPolicy.kind("PUT", "/internal/blobs/sha256:00"));
    }

    @Test
    void theReadinessProbeIsOpenEvenWhenPullsNeedATokenButOnlyForGetAndHead() {
        AccessPolicy p = policy(true);
        assertFalse(p.check("GET", "/ready", null).isPresent(), "health checkers carry no token");
        assertFalse(p.check("HEAD", "/ready", null).isPresent());
        assertTrue(p.check("POST", "/ready", null).isPresent());
        assertTrue(p.check("GET", "/ready/x", null).isPresent());
        assertTrue(p.check("GET", "/metrics", null).isPresent(), "other status pages stay behind --auth-pulls");
    }

    @Test
    void writesNeedAClientTokenAsBearerOrBasicPassword() {
        AccessPolicy p = policy(false);
        assertTrue(p.check("PUT", "/v2/a/manifests/v1", null).isPresent());
        assertTrue(p.check("PUT", "/v2/a/manifests/v1", "Bearer wrong-token-0123456789").isPresent());
        assertTrue(p.check("PUT", "/v2/a/manifests/v1", "Bearer " + PUSH + "x").isPresent());
        assertTrue(p.check("PUT", "/v2/a/manifests/v1", basic("imaged", "")).isPresent());
        assertTrue(p.check("PUT", "/v2/a/manifests/v1", "Digest " + PUSH).isPresent());
        assertTrue(p.check("PUT", "/v2/a/manifests/v1", "Basic !!notbase64").isPresent());
        assertFalse(p.check("PUT", "/v2/a/manifests/v1", "Bearer " + PUSH).isPresent());
        assertFalse(p.check("PUT", "/v2/a/manifests/v1", "bearer " + OTHER).isPresent(), "any token of the file, scheme in any case");
        assertFalse(p.check("POST", "/v2/a/blobs/uploads/", basic("anyone", PUSH)).isPresent());
        assertFalse(p.check("POST", "/v2/a/blobs/uploads/", "Bearer " + NODES).isPresent(), "nodes forward clients' writes");
    }

    @Test
    void pullsAreAnonymousUnlessAuthPulls() {
        assertFalse(policy(false).check("GET", "/v2/a/manifests/v1", null).isPresent());
        assertFalse(policy(false).check("GET", "/v2/a/manifests/v1", basic("", "")).isPresent(), "empty Basic is anonymous");
        assertTrue(policy(true).check("GET", "/v2/a/manifests/v1", null).isPresent());
        assertTrue(policy(true).check("HEAD", "/v2/a/blobs/sha256:00", "Bearer wrong-token-0123456789").isPresent());
        assertFalse(policy(true).check("GET", "/v2/a/manifests/v1", "Bearer " + PUSH).isPresent());
    }

    @Test
    void internalEndpointsNeedTheClusterTokenNotAClientToken() {
        AccessPolicy p = policy(false);
        assertTrue(p.check("GET", "/internal/status", null).isPresent());
        assertTrue(p.check("GET", "/internal/blobs/sha256:00", "Bearer " + PUSH).isPresent());
        assertFalse(p.check("PUT", "/internal/blobs/sha256:00", "Bearer " + NODES).isPresent());
    }

    @Test
    void withoutTokenFilesEverythingIsOpen() {
        assertFalse(AccessPolicy.OPEN.check("DELETE", "/v2/a/manifests/v1", null).isPresent());
        assertFalse(AccessPolicy.OPEN.check("PUT", "/internal/blobs/sha256:00", null).isPresent());
        assertThrows(IllegalArgumentException.class, () -> new AccessPolicy(Optional.empty(), true, Optional.empty()));
    }

    @Test
    void tokenFilesSkipBlanksAndCommentsAndRefuseWeakOrMissingTokens() throws Exception {
        Path f = Files.writeString(dir.resolve("tokens"), "# ci\n\n  " + PUSH + "  \n" + OTHER + "\n");
        TokenSet tokens = TokenSet.load(f, "--token-file");
        assertEquals(2, tokens.size());
        assertEquals(PUSH, tokens.first());
        assertTrue(tokens.matches(OTHER));
        assertFalse(tokens.matches("# ci"));

        Path weak = Files.writeString(dir.resolve("weak"), "short\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenSet.load(weak, "--token-file"));
        assertTrue(e.getMessage().startsWith("--token-file " + weak), e.getMessage());
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenSet.load(empty, "--cluster-token-file"))
                .getMessage().contains("holds no token"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenSet.load(dir.resolve("absent"), "--token-file"))
                .getMessage().contains("cannot be read"));
    }
}
