using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.JsonPatch;

/// <summary>
/// Deep equality of JSON values as RFC 6902's <c>test</c> defines it: numbers compared as numbers
/// (<c>1</c> equals <c>1.0</c>), object members compared regardless of order, arrays in order.
/// </summary>
public static class JsonEquality
{
    public static bool DeepEquals(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        switch (a)
        {
            case JsonObject ao:
                if (b is not JsonObject bo || ao.Count != bo.Count)
                {
                    return false;
                }

                foreach (var (key, value) in ao)
                {
                    if (!bo.TryGetPropertyValue(key, out var other) || !DeepEquals(value, other))
                    {
                        return false;
                    }
                }

                return true;

            case JsonArray aa:
                if (b is not JsonArray ba || aa.Count != ba.Count)
                {
                    return false;
                }

                for (var i = 0; i < aa.Count; i++)
                {
                    if (!DeepEquals(aa[i], ba[i]))
                    {
                        return false;
                    }
                }

                return true;

            default:
                return b is JsonValue bv && ValueEquals(a.AsValue(), bv);
        }
    }

    private static bool ValueEquals(JsonValue a, JsonValue b)
    {
        var kind = a.GetValueKind();
        if (kind != b.GetValueKind())
        {
            // true and false are different kinds; so are a number and a string.
            return false;
        }

        return kind switch
        {
            JsonValueKind.String => string.Equals(a.GetValue<string>(), b.GetValue<string>(), StringComparison.Ordinal),
            JsonValueKind.Number => NumberEquals(a, b),
            _ => true, // true, false, null: same kind, same value
        };
    }

    private static bool NumberEquals(JsonValue a, JsonValue b)
    {
        if (TryDecimal(a, out var da) && TryDecimal(b, out var db))
        {
            return da == db;
        }

        return ToDouble(a).Equals(ToDouble(b));
    }

    private static bool TryDecimal(JsonValue value, out decimal result)
    {
        if (value.TryGetValue(out result))
        {
            return true;
        }

        return decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out result);
    }

    private static double ToDouble(JsonValue value) =>
        value.TryGetValue(out double d) ? d : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
