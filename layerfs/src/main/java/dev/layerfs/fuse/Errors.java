package dev.layerfs.fuse;

import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place a failure becomes the negative errno FUSE answers with. */
final class Errors {

    private static final Logger LOG = LoggerFactory.getLogger(Errors.class);

    private Errors() {
    }

    static int errno(String op, String path, Throwable t) {
        if (t instanceof ErrnoException e) {
            if (e.errno() == Errno.EIO) {
                LOG.warn("{} {}: {}", op, path, e.toString());
            } else if (LOG.isDebugEnabled()) {
                LOG.debug("{} {}: {}", op, path, e.toString());
            }
            return -e.errno();
        }
        LOG.error("{} {} failed unexpectedly", op, path, t);
        return -Errno.EIO;
    }
}
