package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.Answers.TagPage;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import dev.layerfs.imaged.server.Registry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** {@code /v2/<name>/tags/list?n=&last=}: lexically ordered tags, a Link header when more follow. */
final class TagsHandler {

    private final Registry registry;

    TagsHandler(Registry registry) {
        this.registry = registry;
    }

    void handle(Exchange ex, String repo) {
        if (!"GET".equals(ex.method())) {
            ErrorResponses.unsupported(ex, "tags");
            return;
        }
        int n = ex.param("n").map(TagsHandler::parseN).orElse(-1);
        String last = ex.param("last").orElse(null);
        TagPage page = registry.tags(repo, n, last, RegistryHandler.readMode(ex));
        if (page.more() && !page.tags().isEmpty()) {
            String next = page.tags().get(page.tags().size() - 1);
            ex.header("Link", "</v2/" + repo + "/tags/list?n=" + n + "&last="
                    + URLEncoder.encode(next, StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
        ex.sendJson(200, Map.of("name", page.name(), "tags", page.tags()));
    }

    private static int parseN(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "n must be a non-negative integer, got '" + value + "'", null);
    }
}
