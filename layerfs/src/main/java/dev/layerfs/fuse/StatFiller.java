package dev.layerfs.fuse;

import dev.layerfs.sys.Stat;
import ru.serce.jnrfuse.struct.FileStat;

/** Copies a {@link Stat} into libfuse's struct stat. */
final class StatFiller {

    private StatFiller() {
    }

    static void fill(Stat s, FileStat out) {
        out.st_mode.set(s.mode());
        out.st_ino.set(s.ino());
        out.st_nlink.set(s.nlink());
        out.st_uid.set(s.uid());
        out.st_gid.set(s.gid());
        out.st_size.set(s.size());
        out.st_blocks.set(s.blocks());
        out.st_blksize.set(s.blksize());
        out.st_rdev.set(s.rdev());
        out.st_atim.tv_sec.set(s.atimeSec());
        out.st_atim.tv_nsec.set(s.atimeNsec());
        out.st_mtim.tv_sec.set(s.mtimeSec());
        out.st_mtim.tv_nsec.set(s.mtimeNsec());
        out.st_ctim.tv_sec.set(s.ctimeSec());
        out.st_ctim.tv_nsec.set(s.ctimeNsec());
    }
}
