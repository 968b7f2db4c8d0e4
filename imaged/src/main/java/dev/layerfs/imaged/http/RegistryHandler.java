package dev.layerfs.imaged.http;

import dev.layerfs.imaged.auth.PeerAccess;
import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.Uploads;
import dev.layerfs.imaged.meta.MetadataService;
import dev.layerfs.imaged.meta.ReadMode;
import dev.layerfs.imaged.server.Registry;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The switchboard: matches the request path to an API area and hands the request to that area's
 * handler. Every failure, wherever thrown, is answered by {@link ErrorResponses}.
 */
public final class RegistryHandler extends Handler.Abstract {

    /** Request header that opts a read into this node's local (possibly stale) metadata. */
    public static final String CONSISTENCY_HEADER = "Imaged-Consistency";

    private static final Pattern BASE = Pattern.compile("/v2/?");
    private static final Pattern UPLOAD_START = Pattern.compile("/v2/(.+)/blobs/uploads/?");
    private static final Pattern UPLOAD = Pattern.compile("/v2/(.+)/blobs/uploads/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("/v2/(.+)/blobs/([^/]+)");
    private static final Pattern MANIFEST = Pattern.compile("/v2/(.+)/manifests/([^/]+)");
    private static final Pattern TAGS = Pattern.compile("/v2/(.+)/tags/list");
    private static final Pattern REFERRERS = Pattern.compile("/v2/(.+)/referrers/([^/]+)");
    private static final Pattern INTERNAL_BLOB = Pattern.compile("/internal/blobs/([^/]+)");

    private final String nodeId;
    private final BlobsHandler blobs;
    private final UploadsHandler uploads;
    private final ManifestsHandler manifests;
    private final TagsHandler tags;
    private final ReferrersHandler referrers;
    private final InternalHandler internal;
    private final UploadProxy proxy;

    public RegistryHandler(String nodeId, Registry registry, BlobStore store, MetadataService meta, Supplier<Object> status) {
        this(nodeId, registry, store, meta, status, PeerAccess.PLAIN);
    }

    /** {@code peers}: how upload requests are forwarded to the node holding the session (TLS, cluster token). */
    public RegistryHandler(String nodeId, Registry registry, BlobStore store, MetadataService meta, Supplier<Object> status,
                           PeerAccess peers) {
        this.nodeId = nodeId;
        this.blobs = new BlobsHandler(registry);
        this.uploads = new UploadsHandler(registry);
        this.manifests = new ManifestsHandler(registry);
        this.tags = new TagsHandler(registry);
        this.referrers = new ReferrersHandler(registry);
        this.internal = new InternalHandler(store, status);
        this.proxy = new UploadProxy(meta, peers);
    }

    static ReadMode readMode(Exchange ex) {
        return ex.header(CONSISTENCY_HEADER).filter("local"::equalsIgnoreCase).isPresent()
                ? ReadMode.LOCAL : ReadMode.LINEARIZABLE;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response, callback);
        String path = Request.getPathInContext(request);
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        try {
            route(ex, request, path);
        } catch (Throwable t) {
            ErrorResponses.send(ex, request.getMethod() + " " + path, t);
        }
        return true;
    }

    private void route(Exchange ex, Request request, String path) throws Exception {
        Matcher m;
        if (BASE.matcher(path).matches()) {
            ex.sendJson(200, Map.of());
        } else if ((m = UPLOAD_START.matcher(path)).matches()) {
            uploads.start(ex, name(m));
        } else if ((m = UPLOAD.matcher(path)).matches()) {
            String repo = name(m);
            String id = m.group(2);
            String owner = Uploads.ownerOf(id).orElse(nodeId);
            if (!owner.equals(nodeId)) {
                String query = request.getHttpURI().getQuery();
                proxy.forward(ex, owner, request.getHttpURI().getPath() + (query == null ? "" : "?" + query));
            } else {
                uploads.session(ex, repo, id);
            }
        } else if ((m = BLOB.matcher(path)).matches()) {
            blobs.handle(ex, name(m), m.group(2));
        } else if ((m = MANIFEST.matcher(path)).matches()) {
            manifests.handle(ex, name(m), m.group(2));
        } else if ((m = TAGS.matcher(path)).matches()) {
            tags.handle(ex, name(m));
        } else if ((m = REFERRERS.matcher(path)).matches()) {
            referrers.handle(ex, name(m), m.group(2));
        } else if ((m = INTERNAL_BLOB.matcher(path)).matches()) {
            internal.blob(ex, m.group(1));
        } else if (path.equals("/internal/status")) {
            internal.status(ex);
        } else {
            ErrorResponses.notFound(ex, path);
        }
    }

    private static String name(Matcher m) {
        String name = m.group(1);
        Registry.checkName(name);
        return name;
    }
}
