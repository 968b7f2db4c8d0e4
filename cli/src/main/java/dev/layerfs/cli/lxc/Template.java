package dev.layerfs.cli.lxc;

import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A file from {@code lxc-configs/} with {@code @PLACEHOLDERS@}, and where it was read from. */
public record Template(String name, String source, String text) {

    private static final Pattern PLACEHOLDER = Pattern.compile("@([A-Z][A-Z_]*)@");

    /**
     * The text with every placeholder replaced. A placeholder without a value is a broken
     * template (say, an admin's edit in the installed copy): an error naming it, never a config
     * with a literal {@code @NAME@} that LXC would reject at start time.
     */
    public String fill(Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        TreeSet<String> missing = new TreeSet<>();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                missing.add(m.group());
                value = m.group();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("template " + source + " has placeholders with no value: " + missing);
        }
        return out.toString();
    }
}
