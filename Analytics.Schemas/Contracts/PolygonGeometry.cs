namespace Analytics.Schemas.Contracts;

/// <summary>
/// Plane geometry on zone polygons. Lives beside the contracts because the validator needs it to
/// reject self-intersecting polygons, and the rules need the same containment test.
/// </summary>
public static class PolygonGeometry
{
    /// <summary>
    /// Whether (<paramref name="x"/>, <paramref name="y"/>) lies inside the polygon given by its
    /// vertex coordinates (even-odd rule; points on an edge may fall on either side).
    /// </summary>
    public static bool Contains(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys, double x, double y)
    {
        var inside = false;
        var count = xs.Length;
        for (int i = 0, j = count - 1; i < count; j = i++)
        {
            var yi = ys[i];
            var yj = ys[j];
            if ((yi > y) != (yj > y))
            {
                var crossingX = xs[i] + ((y - yi) / (yj - yi) * (xs[j] - xs[i]));
                if (x < crossingX)
                {
                    inside = !inside;
                }
            }
        }

        return inside;
    }

    /// <inheritdoc cref="Contains(ReadOnlySpan{double}, ReadOnlySpan{double}, double, double)"/>
    public static bool Contains(IReadOnlyList<Point> polygon, double x, double y)
    {
        var xs = new double[polygon.Count];
        var ys = new double[polygon.Count];
        for (var i = 0; i < polygon.Count; i++)
        {
            xs[i] = polygon[i].X;
            ys[i] = polygon[i].Y;
        }

        return Contains(xs, ys, x, y);
    }

    /// <summary>
    /// Whether the closed polygon is simple: at least three vertices, non-zero area, no repeated
    /// vertex, and no two edges touching except neighbours at their shared vertex.
    /// </summary>
    public static bool IsSimple(IReadOnlyList<Point> polygon)
    {
        var count = polygon.Count;
        if (count < 3 || Math.Abs(SignedArea(polygon)) < 1e-12)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            for (var j = i + 1; j < count; j++)
            {
                if (polygon[i].X == polygon[j].X && polygon[i].Y == polygon[j].Y)
                {
                    return false;
                }
            }
        }

        for (var i = 0; i < count; i++)
        {
            var a1 = polygon[i];
            var a2 = polygon[(i + 1) % count];
            for (var j = i + 1; j < count; j++)
            {
                var b1 = polygon[j];
                var b2 = polygon[(j + 1) % count];
                var neighbours = j == i + 1 || (i == 0 && j == count - 1);
                if (neighbours)
                {
                    // Neighbours share one vertex; they only overlap when they fold back onto each other.
                    var shared = j == i + 1 ? a2 : a1;
                    var otherA = j == i + 1 ? a1 : a2;
                    var otherB = j == i + 1 ? b2 : b1;
                    if (Cross(shared, otherA, otherB) == 0 && Dot(shared, otherA, otherB) > 0)
                    {
                        return false;
                    }
                }
                else if (SegmentsTouch(a1, a2, b1, b2))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Shoelace area; positive when the vertices run counter-clockwise in a y-up frame.</summary>
    public static double SignedArea(IReadOnlyList<Point> polygon)
    {
        var sum = 0.0;
        for (var i = 0; i < polygon.Count; i++)
        {
            var a = polygon[i];
            var b = polygon[(i + 1) % polygon.Count];
            sum += (a.X * b.Y) - (b.X * a.Y);
        }

        return sum / 2;
    }

    private static double Cross(Point origin, Point a, Point b) =>
        ((a.X - origin.X) * (b.Y - origin.Y)) - ((a.Y - origin.Y) * (b.X - origin.X));

    private static double Dot(Point origin, Point a, Point b) =>
        ((a.X - origin.X) * (b.X - origin.X)) + ((a.Y - origin.Y) * (b.Y - origin.Y));

    private static bool SegmentsTouch(Point p1, Point p2, Point q1, Point q2)
    {
        var d1 = Math.Sign(Cross(q1, q2, p1));
        var d2 = Math.Sign(Cross(q1, q2, p2));
        var d3 = Math.Sign(Cross(p1, p2, q1));
        var d4 = Math.Sign(Cross(p1, p2, q2));
        if (d1 * d2 < 0 && d3 * d4 < 0)
        {
            return true;
        }

        return (d1 == 0 && OnSegment(q1, q2, p1))
            || (d2 == 0 && OnSegment(q1, q2, p2))
            || (d3 == 0 && OnSegment(p1, p2, q1))
            || (d4 == 0 && OnSegment(p1, p2, q2));
    }

    private static bool OnSegment(Point a, Point b, Point p) =>
        p.X >= Math.Min(a.X, b.X) && p.X <= Math.Max(a.X, b.X) && p.Y >= Math.Min(a.Y, b.Y) && p.Y <= Math.Max(a.Y, b.Y);
}
