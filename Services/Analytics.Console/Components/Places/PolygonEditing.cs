using Analytics.Schemas.Contracts;

namespace Analytics.Console.Components.Places;

/// <summary>
/// The zone editor's geometry, apart from the browser: where a pointer lands in the frame, which
/// vertex it grabs, where a new vertex goes, and what makes a polygon one the API will take.
/// Coordinates are normalized (origin top-left, 0 to 1 on both axes) as zones store them; distances
/// are measured in the frame's 16:9 shape, so "near" means the same on screen in both directions.
/// </summary>
public static class PolygonEditing
{
    /// <summary>The frame's aspect ratio, width over height.</summary>
    public const double Aspect = 16.0 / 9.0;

    /// <summary>How close (a fraction of the frame's width) a pointer must be to grab a vertex.</summary>
    public const double GrabRadius = 0.02;

    /// <summary>How far one arrow key press moves the selected vertex; with Shift, five times as far.</summary>
    public const double NudgeStep = 0.01;

    /// <summary>A pointer at (<paramref name="clientX"/>, <paramref name="clientY"/>) over a frame drawn at <paramref name="frame"/>, as a point of the image, held inside it.</summary>
    public static Point ToImage(double clientX, double clientY, FrameRect frame) =>
        new(Clamp((clientX - frame.Left) / frame.Width), Clamp((clientY - frame.Top) / frame.Height));

    /// <summary>The vertex within <see cref="GrabRadius"/> of <paramref name="at"/>, the nearest if several; null if none.</summary>
    public static int? VertexAt(IReadOnlyList<Point> polygon, Point at)
    {
        int? nearest = null;
        var best = GrabRadius;
        for (var i = 0; i < polygon.Count; i++)
        {
            var distance = Distance(polygon[i], at);
            if (distance <= best)
            {
                (nearest, best) = (i, distance);
            }
        }
        return nearest;
    }

    /// <summary>
    /// Where a vertex placed at <paramref name="at"/> joins the polygon: after the last one while
    /// there are fewer than three (the outline being drawn), otherwise into the edge nearest to it,
    /// so clicking beside an edge bends that edge rather than crossing the shape.
    /// </summary>
    public static IReadOnlyList<Point> Add(IReadOnlyList<Point> polygon, Point at)
    {
        if (polygon.Count < 3)
        {
            return [.. polygon, at];
        }
        var (edge, best) = (0, double.MaxValue);
        for (var i = 0; i < polygon.Count; i++)
        {
            var distance = DistanceToSegment(at, polygon[i], polygon[(i + 1) % polygon.Count]);
            if (distance < best)
            {
                (edge, best) = (i, distance);
            }
        }
        var result = polygon.ToList();
        result.Insert(edge + 1, at);
        return result;
    }

    /// <summary>The polygon with vertex <paramref name="index"/> at <paramref name="to"/>, held inside the image.</summary>
    public static IReadOnlyList<Point> Move(IReadOnlyList<Point> polygon, int index, Point to)
    {
        var result = polygon.ToList();
        result[index] = new Point(Clamp(to.X), Clamp(to.Y));
        return result;
    }

    /// <summary>Vertex <paramref name="index"/> moved by whole steps (arrow keys), held inside the image.</summary>
    public static IReadOnlyList<Point> Nudge(IReadOnlyList<Point> polygon, int index, int stepsX, int stepsY, bool large) =>
        Move(polygon, index, new Point(
            Math.Round(polygon[index].X + (stepsX * NudgeStep * (large ? 5 : 1)), 4),
            Math.Round(polygon[index].Y + (stepsY * NudgeStep * (large ? 5 : 1)), 4)));

    /// <summary>The polygon without vertex <paramref name="index"/>; a triangle keeps all three (a zone needs three).</summary>
    public static IReadOnlyList<Point> Remove(IReadOnlyList<Point> polygon, int index) =>
        polygon.Count <= 3 ? polygon : [.. polygon.Where((_, i) => i != index)];

    /// <summary>Why the API would refuse the outline, in the editor's words before it is sent; null if it would not.</summary>
    public static string? Problem(IReadOnlyList<Point> polygon) => polygon.Count switch
    {
        < 3 => $"Place at least 3 vertices ({polygon.Count} so far).",
        _ when !PolygonGeometry.IsSimple(polygon) => "The outline crosses itself or has no area; move a vertex so that no two edges cross.",
        _ => null,
    };

    /// <summary>Distance between two image points in frame widths (y scaled by the frame's height).</summary>
    public static double Distance(Point a, Point b)
    {
        var dx = a.X - b.X;
        var dy = (a.Y - b.Y) / Aspect;
        return Math.Sqrt((dx * dx) + (dy * dy));
    }

    private static double DistanceToSegment(Point p, Point a, Point b)
    {
        // In frame units, where the frame is Aspect wide and 1 high.
        var (px, py, ax, ay, bx, by) = (p.X * Aspect, p.Y, a.X * Aspect, a.Y, b.X * Aspect, b.Y);
        var (dx, dy) = (bx - ax, by - ay);
        var lengthSquared = (dx * dx) + (dy * dy);
        var t = lengthSquared == 0 ? 0 : Math.Clamp((((px - ax) * dx) + ((py - ay) * dy)) / lengthSquared, 0, 1);
        var (cx, cy) = (ax + (t * dx) - px, ay + (t * dy) - py);
        return Math.Sqrt((cx * cx) + (cy * cy));
    }

    private static double Clamp(double value) => Math.Round(Math.Clamp(value, 0, 1), 4);
}

/// <summary>Where the frame is drawn on screen, in CSS pixels, as the browser's getBoundingClientRect gives it.</summary>
public sealed record FrameRect(double Left, double Top, double Width, double Height);
