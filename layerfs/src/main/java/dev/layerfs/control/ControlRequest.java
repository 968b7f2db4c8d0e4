package dev.layerfs.control;

import dev.layerfs.branch.BranchSpecException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client asks of a mounted union's daemon: show the branches, or change them (edits
 * applied together, all or nothing). On the socket: NUL-separated fields ({@code show}, or
 * {@code change}, {@code force} or {@code wait}, then each edit in remount syntax), ended by
 * the client closing its side. Branch paths hold no NUL, so nothing needs escaping.
 */
public record ControlRequest(boolean change, boolean force, List<BranchEdit> edits) {

    public ControlRequest {
        edits = List.copyOf(edits);
    }

    public static ControlRequest show() {
        return new ControlRequest(false, false, List.of());
    }

    public static ControlRequest change(List<BranchEdit> edits, boolean force) {
        return new ControlRequest(true, force, edits);
    }

    byte[] encode() {
        List<String> fields = new ArrayList<>();
        fields.add(change ? "change" : "show");
        if (change) {
            fields.add(force ? "force" : "wait");
            edits.forEach(e -> fields.add(e.option()));
        }
        return String.join("\0", fields).getBytes(StandardCharsets.UTF_8);
    }

    static ControlRequest decode(byte[] bytes) {
        String[] fields = new String(bytes, StandardCharsets.UTF_8).split("\0", -1);
        switch (fields[0]) {
            case "show" -> {
                return show();
            }
            case "change" -> {
                if (fields.length < 2) {
                    throw new BranchSpecException("malformed request: no force/wait field");
                }
                List<BranchEdit> edits = new ArrayList<>();
                for (int i = 2; i < fields.length; i++) {
                    edits.add(BranchEdit.parse(fields[i], Path.of("/")));
                }
                return change(edits, fields[1].equals("force"));
            }
            default -> throw new BranchSpecException("malformed request: unknown command '" + fields[0] + "'");
        }
    }
}
