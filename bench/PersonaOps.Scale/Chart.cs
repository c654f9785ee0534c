using System.Globalization;
using System.Text;

namespace PersonaOps.Scale;

/// <summary>
/// The results as an SVG line chart: wall time against N, both on log scales, PersonaOps's plan beside the
/// naive refresh at each latency. Written by hand because the charting libraries our package source
/// carries (ScottPlot, OxyPlot) draw through native SkiaSharp binaries; an SVG of a few lines is plain text.
/// </summary>
internal static class Chart
{
    private const int Width = 760;
    private const int Height = 440;
    private const int Left = 70;
    private const int Right = 190;
    private const int Top = 40;
    private const int Bottom = 60;

    private static readonly (string Command, string Color)[] Series =
    [
        ("plan", "#1f77b4"),
        ("naive refresh", "#d62728"),
        ("apply 10%", "#2ca02c"),
    ];

    public static string Render(IReadOnlyList<Row> rows)
    {
        var sizes = rows.Select(r => r.N).Distinct().Order().ToArray();
        var plotted = rows.Where(r => Series.Any(s => s.Command == r.Command)).ToArray();
        var minY = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(1, plotted.Min(r => r.MedianMs)))));
        var maxY = Math.Pow(10, Math.Ceiling(Math.Log10(plotted.Max(r => r.MedianMs))));
        var minX = sizes[0];
        var maxX = sizes[^1] == sizes[0] ? sizes[0] * 10 : sizes[^1];

        double X(double n) => Left + ((Math.Log10(n) - Math.Log10(minX)) / (Math.Log10(maxX) - Math.Log10(minX)) * (Width - Left - Right));
        double Y(double ms) => Height - Bottom - ((Math.Log10(ms) - Math.Log10(minY)) / (Math.Log10(maxY) - Math.Log10(minY)) * (Height - Top - Bottom));

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Wall time against personas (log scales)</text>\n");
        for (var y = minY; y <= maxY * 1.001; y *= 10)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(y):F1}\" y2=\"{Y(y):F1}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{Y(y) + 4:F1}\" text-anchor=\"end\">{Label(y)}</text>\n");
        }

        foreach (var n in sizes)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(n):F1}\" x2=\"{X(n):F1}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(n):F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{n:N0}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 18}\" text-anchor=\"middle\">personas (N)</text>\n");
        var legend = Top;
        foreach (var latency in rows.Select(r => r.LatencyMs).Where(l => l > 0 || rows.All(r => r.LatencyMs == 0)).Distinct().Order())
        {
            foreach (var (command, color) in Series)
            {
                var points = rows.Where(r => r.Command == command && r.LatencyMs == latency).OrderBy(r => r.N).ToArray();
                if (points.Length == 0)
                {
                    continue;
                }

                var dash = command == "naive refresh" ? " stroke-dasharray=\"6 4\"" : "";
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\"{dash} points=\"{string.Join(' ', points.Select(p => $"{X(p.N):F1},{Y(p.MedianMs):F1}"))}\"/>\n");
                foreach (var p in points)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p.N):F1}\" cy=\"{Y(p.MedianMs):F1}\" r=\"3.5\" fill=\"{color}\"><title>{command}, N={p.N}, {latency} ms: {Label(p.MedianMs)}</title></circle>\n");
                }

                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Width - Right + 15}\" x2=\"{Width - Right + 45}\" y1=\"{legend + 6}\" y2=\"{legend + 6}\" stroke=\"{color}\" stroke-width=\"2.5\"{dash}/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right + 52}\" y=\"{legend + 10}\">{command} ({latency} ms)</text>\n");
                legend += 20;
            }
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Label(double ms) => ms >= 1000 ? $"{ms / 1000:0.##} s" : $"{ms:0} ms";
}
