"""The text form of a row value, as record_out writes it, split into fields."""


def split_record(text, ncolumns):
    """The fields of '(a,"b c",,...)' as strings, None for NULL.

    A quoted field doubles its quotes or escapes them with a backslash; an
    unquoted empty field is NULL (an empty string is always quoted)."""
    if text is None:
        return None
    fields = []
    i, end = 1, len(text) - 1
    if end == 1:                 # '()': no column, or one NULL column
        return [None] * ncolumns
    while True:
        if text[i] == '"':
            i += 1
            buf = []
            while True:
                c = text[i]
                if c == '"':
                    if text[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                if c == "\\":
                    buf.append(text[i + 1])
                    i += 2
                    continue
                buf.append(c)
                i += 1
            fields.append("".join(buf))
        else:
            j = text.find(",", i)
            if j < 0 or j > end:
                j = end
            fields.append(text[i:j] if j > i else None)
            i = j
        if i >= end:
            break
        i += 1                   # the comma
        if i == end:             # a trailing empty field
            fields.append(None)
            break
    return fields
