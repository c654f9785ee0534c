namespace PersonaOps.Core.Manifests;

/// <summary>
/// Credentials written into a URL: a user name and password (<c>https://user:pass@host</c>), or a query
/// parameter whose name says it holds one (<c>?api_key=...</c>, <c>&amp;sig=...</c>). A URL field is not
/// secret: it is stored in clear in the persona and shown in every plan, so a credential belongs in a header
/// with a <c>${env:...}</c> reference instead. Read as text, in one pass, so a URL that still holds
/// references (<c>https://${env:USER}:${env:PASS}@host</c>) is judged as written.
/// </summary>
public static class UrlCredentials
{
    /// <summary>Parameter names that hold a credential, compared case-insensitively with '-' read as '_'.</summary>
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "key", "apikey", "api_key", "token", "access_token", "refresh_token", "id_token", "auth", "auth_token", "authorization",
        "secret", "client_secret", "password", "passwd", "pwd", "pass", "sig", "signature", "credential", "credentials",
        "session", "sessionid", "session_id", "jwt", "bearer", "private_key", "subscription_key",
    };

    /// <summary>Last words that make any name a credential's: <c>x_api_key</c>, <c>x_amz_security_token</c>, <c>hmac_signature</c>.</summary>
    private static readonly string[] Suffixes = ["_key", "_token", "_secret", "_password", "_signature", "_sig", "_credential"];

    /// <summary>True for a field whose name says it holds a URL: <c>url</c> or a name ending in <c>_url</c> (any case).</summary>
    public static bool IsUrlField(string name) =>
        name.Equals("url", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_url", StringComparison.OrdinalIgnoreCase);

    /// <summary>What credential <paramref name="url"/> carries, in words (never its value), or null when none.</summary>
    public static string? Find(string url)
    {
        var (authorityStart, authorityEnd) = Authority(url);
        if (authorityEnd > authorityStart && url.AsSpan(authorityStart, authorityEnd - authorityStart).Contains('@'))
        {
            return "a user name and password before the host";
        }

        foreach (var (name, _, _) in Parameters(url))
        {
            if (IsCredentialName(name))
            {
                return $"the query parameter '{name}'";
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="url"/> as it may be shown: without its user information, and with the value of every
    /// credential-looking query parameter replaced by <c>(sensitive value)</c>.
    /// </summary>
    public static string Strip(string url)
    {
        var (authorityStart, authorityEnd) = Authority(url);
        if (authorityEnd > authorityStart)
        {
            var at = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
            if (at >= 0)
            {
                url = url[..authorityStart] + url[(at + 1)..];
            }
        }

        var parameters = Parameters(url).Where(p => IsCredentialName(p.Name)).ToArray();
        for (var i = parameters.Length - 1; i >= 0; i--)
        {
            url = url[..parameters[i].ValueStart] + "(sensitive value)" + url[parameters[i].ValueEnd..];
        }

        return url;
    }

    /// <summary>
    /// The secret parts of <paramref name="url"/> (the user information's password, or all of it, and the
    /// values of credential-looking query parameters, as written and percent-decoded): what output must mask.
    /// </summary>
    public static IReadOnlyList<string> SecretParts(string url)
    {
        var parts = new List<string>();
        var (authorityStart, authorityEnd) = Authority(url);
        if (authorityEnd > authorityStart)
        {
            var at = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
            if (at >= 0)
            {
                var userInfo = url[authorityStart..at];
                parts.Add(userInfo);
                if (userInfo.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
                {
                    parts.Add(userInfo[(colon + 1)..]);
                }
            }
        }

        foreach (var (name, start, end) in Parameters(url))
        {
            if (IsCredentialName(name) && end > start)
            {
                parts.Add(url[start..end]);
            }
        }

        return [.. parts.Concat(parts.Select(Decode)).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    private static bool IsCredentialName(string name)
    {
        var normalised = Decode(name).Replace('-', '_').Trim();
        return Names.Contains(normalised) || Suffixes.Any(s => normalised.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Where the authority (<c>user:pass@host:port</c>) is: after <c>scheme://</c>, up to the first '/', '?' or '#'; (-1, -1) without one.</summary>
    private static (int Start, int End) Authority(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return (-1, -1);
        }

        var start = scheme + 3;
        var end = url.IndexOfAny(['/', '?', '#', '\\'], start);
        return (start, end < 0 ? url.Length : end);
    }

    /// <summary>Each query parameter's name and where its value is; a name without '=' has an empty value.</summary>
    private static IEnumerable<(string Name, int ValueStart, int ValueEnd)> Parameters(string url)
    {
        var query = url.IndexOf('?', StringComparison.Ordinal);
        if (query < 0 || Authority(url).Start < 0)
        {
            yield break;
        }

        var fragment = url.IndexOf('#', query);
        var end = fragment < 0 ? url.Length : fragment;
        var position = query + 1;
        while (position <= end)
        {
            var next = url.IndexOfAny(['&', ';'], position, end - position);
            var pairEnd = next < 0 ? end : next;
            var equals = url.IndexOf('=', position, pairEnd - position);
            var name = url[position..(equals < 0 ? pairEnd : equals)];
            if (name.Length > 0)
            {
                yield return (name, equals < 0 ? pairEnd : equals + 1, pairEnd);
            }

            position = pairEnd + 1;
        }
    }

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
