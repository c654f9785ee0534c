namespace PersonaOps.Core.Validation;

/// <summary>"Did you mean …?" for misspelled field names and enum values.</summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="input"/>, if it is close enough to be a likely typo.</summary>
    /// <remarks>
    /// A candidate whose length alone puts it further than a typo can be (the distance is at least the
    /// difference in length) is not compared, so a key of megabytes costs nothing here.
    /// </remarks>
    public static string? Nearest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var lowered = (string?)null;
        foreach (var candidate in candidates)
        {
            if (Math.Abs(input.Length - candidate.Length) > Allowed(input.Length, candidate.Length))
            {
                continue;
            }

            var distance = Distance(lowered ??= input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is not null && bestDistance <= Allowed(input.Length, best.Length) && bestDistance < Math.Max(input.Length, best.Length) ? best : null;
    }

    /// <summary>The largest distance that is still a likely typo between names of these lengths.</summary>
    private static int Allowed(int a, int b) => Math.Max(2, Math.Min(a, b) / 3);

    /// <summary>Optimal string alignment distance: Levenshtein plus adjacent transpositions, in three rows of <paramref name="b"/>'s length.</summary>
    public static int Distance(string a, string b)
    {
        var (before, previous, current) = (new int[b.Length + 1], new int[b.Length + 1], new int[b.Length + 1]);
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], before[j - 2] + 1);
                }
            }

            (before, previous, current) = (previous, current, before);
        }

        return previous[b.Length];
    }
}
