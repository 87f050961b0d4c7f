package offerfit;

import java.util.List;

/**
 * A request offerfit refused: the first error's fields, and every error in {@link #errors()}.
 * {@code code} is stable ({@code "constraint.unknown_operator"}); {@code path} is a JSON pointer
 * into the request ({@code "/tasks/3/constraints/1"}) or null; {@code rendered} shows the
 * offending text with a caret, or is null.
 */
public final class OfferfitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<Contract.ErrorObject> errors;

    public OfferfitException(List<Contract.ErrorObject> errors) {
        super(describe(errors));
        this.errors = List.copyOf(errors);
    }

    private static String describe(List<Contract.ErrorObject> errors) {
        StringBuilder b = new StringBuilder();
        for (Contract.ErrorObject e : errors) {
            if (b.length() > 0) b.append('\n');
            b.append(e.code()).append(": ").append(e.message());
            if (e.path() != null) b.append(" at ").append(e.path());
            if (e.rendered() != null) b.append('\n').append(e.rendered());
        }
        return b.length() == 0 ? "offerfit refused the request" : b.toString();
    }

    private Contract.ErrorObject first() {
        return errors.isEmpty() ? new Contract.ErrorObject("internal", "no error given", null, null, null, null, null, null)
                : errors.get(0);
    }

    public String code() { return first().code(); }
    /** The first error's message alone ({@link #getMessage()} has every error, with carets). */
    public String message() { return first().message(); }
    public String path() { return first().path(); }
    public String rendered() { return first().rendered(); }
    public String help() { return first().help(); }
    public List<Contract.ErrorObject> errors() { return errors; }
}
