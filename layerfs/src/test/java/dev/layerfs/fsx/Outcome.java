package dev.layerfs.fsx;

/**
 * What one operation answered: "ok" or an errno name, and for reads what was read (a digest,
 * a listing or an entry's description), so the union and the expected tree can be compared.
 */
record Outcome(String result, String detail) {

    static final Outcome OK = new Outcome("ok", "");

    static Outcome of(long rc) {
        return rc < 0 ? new Outcome(Sys.errnoName(rc), "") : OK;
    }

    static Outcome errno(String name) {
        return new Outcome(name, "");
    }

    boolean ok() {
        return result.equals("ok");
    }

    @Override
    public String toString() {
        return detail.isEmpty() ? result : result + " " + detail;
    }
}
