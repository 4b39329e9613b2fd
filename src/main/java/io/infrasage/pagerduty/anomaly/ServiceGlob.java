package io.infrasage.pagerduty.anomaly;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The glob of a routing rule, matched against a service name as text: {@code *} any run of characters (also none),
 * {@code ?} one character, {@code [a-z]} / {@code [abc]} / {@code [!a-c]} one character of (or not of) a class,
 * {@code {a,b}} one of the alternatives, {@code \} escapes the next character. Service names are not file paths: the
 * JDK's PathMatcher matches nothing for a name the platform's file-name encoding cannot hold ({@code café-api} on a JVM
 * started without LANG), so the name is only ever compared as Unicode text, in any locale. {@code **} is accepted as a synonym of {@code *}.
 */
public final class ServiceGlob {

    private final String glob;
    private final Pattern regex;

    private ServiceGlob(String glob, Pattern regex) {
        this.glob = glob;
        this.regex = regex;
    }

    /** @throws IllegalArgumentException naming what is wrong and where (1-based character position) */
    public static ServiceGlob compile(String glob) {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("is empty");
        }
        StringBuilder re = new StringBuilder();
        boolean inGroup = false;
        int i = 0;
        while (i < glob.length()) {
            int c = glob.codePointAt(i);
            int next = i + Character.charCount(c);
            switch (c) {
                case '*' -> {
                    while (next < glob.length() && glob.charAt(next) == '*') {
                        next++;
                    }
                    re.append(".*");
                }
                case '?' -> re.append('.');
                case '[' -> next = characterClass(glob, next, re);
                case '{' -> {
                    if (inGroup) {
                        throw new IllegalArgumentException("nested '{' at character " + (i + 1));
                    }
                    inGroup = true;
                    re.append("(?:");
                }
                case '}' -> {
                    if (!inGroup) {
                        throw new IllegalArgumentException("'}' without '{' at character " + (i + 1));
                    }
                    inGroup = false;
                    re.append(')');
                }
                case ',' -> re.append(inGroup ? "|" : ",");
                case '\\' -> {
                    if (next >= glob.length()) {
                        throw new IllegalArgumentException("'\\' at the end escapes nothing");
                    }
                    int escaped = glob.codePointAt(next);
                    re.append(Pattern.quote(new String(Character.toChars(escaped))));
                    next += Character.charCount(escaped);
                }
                default -> re.append(Pattern.quote(new String(Character.toChars(c))));
            }
            i = next;
        }
        if (inGroup) {
            throw new IllegalArgumentException("'{' is never closed");
        }
        try {
            // DOTALL: '*' and '?' match any character, line breaks included; nothing about the name is special
            return new ServiceGlob(glob, Pattern.compile(re.toString(), Pattern.DOTALL));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(e.getDescription().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** Reads [...] from just after its '[' and appends the regex class; returns the index after its ']'. */
    private static int characterClass(String glob, int start, StringBuilder re) {
        int i = start;
        StringBuilder cls = new StringBuilder("[");
        if (i < glob.length() && glob.charAt(i) == '!') {
            cls.append('^');
            i++;
        }
        boolean first = true;
        while (i < glob.length() && (glob.charAt(i) != ']' || first)) {
            int c = glob.codePointAt(i);
            int next = i + Character.charCount(c);
            if (c == '\\' && next < glob.length()) {
                c = glob.codePointAt(next);
                next += Character.charCount(c);
            }
            if (c == '-' && !first && next < glob.length() && glob.charAt(next) != ']') {
                cls.append('-');
            } else {
                // every member escaped: the regex sees literal characters and '-' between them only as a range
                cls.append(escapeInClass(c));
            }
            first = false;
            i = next;
        }
        if (i >= glob.length()) {
            throw new IllegalArgumentException("'[' at character " + start + " is never closed");
        }
        re.append(cls).append(']');
        return i + 1;
    }

    private static String escapeInClass(int c) {
        return String.format("\\x{%x}", c);
    }

    public boolean matches(String service) {
        return service != null && regex.matcher(service).matches();
    }

    /** True for a glob that every name matches ({@code *}, {@code **}): the rule can be a catch-all. */
    public boolean matchesEverything() {
        return glob.chars().allMatch(ch -> ch == '*');
    }

    @Override
    public String toString() {
        return glob;
    }
}
