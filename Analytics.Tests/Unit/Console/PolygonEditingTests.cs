using Analytics.Console.Components.Places;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Console;

/// <summary>The zone editor's geometry: what a click or a drag does to the outline, and what the editor refuses before the API would.</summary>
public sealed class PolygonEditingTests
{
    private static readonly FrameRect Frame = new(Left: 100, Top: 50, Width: 800, Height: 450);

    [Fact]
    public void A_pointer_becomes_the_image_point_under_it_held_inside_the_image()
    {
        Assert.Equal(new Point(0.25, 0.5), PolygonEditing.ToImage(300, 275, Frame));
        Assert.Equal(new Point(0, 1), PolygonEditing.ToImage(40, 900, Frame));
        Assert.Equal(new Point(1, 0), PolygonEditing.ToImage(1000, 0, Frame));
    }

    [Fact]
    public void The_first_three_clicks_draw_the_outline_in_order()
    {
        IReadOnlyList<Point> polygon = [];
        polygon = PolygonEditing.Add(polygon, new(0.2, 0.2));
        polygon = PolygonEditing.Add(polygon, new(0.6, 0.2));
        polygon = PolygonEditing.Add(polygon, new(0.6, 0.7));

        Assert.Equal([new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.7)], polygon);
    }

    [Fact]
    public void A_fourth_click_below_the_first_closes_the_outline_as_a_quadrilateral()
    {
        IReadOnlyList<Point> triangle = [new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.7)];

        Assert.Equal([new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.7), new(0.2, 0.7)], PolygonEditing.Add(triangle, new(0.2, 0.7)));
    }

    [Fact]
    public void A_later_click_bends_the_nearest_edge_instead_of_crossing_the_shape()
    {
        IReadOnlyList<Point> square = [new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.7), new(0.2, 0.7)];

        // Just outside the top edge, (0.2,0.2)-(0.6,0.2): the new vertex goes between its two ends.
        var bent = PolygonEditing.Add(square, new(0.4, 0.1));

        Assert.Equal([new(0.2, 0.2), new(0.4, 0.1), new(0.6, 0.2), new(0.6, 0.7), new(0.2, 0.7)], bent);
        Assert.True(PolygonEditing.Problem(bent) is null);
        // Appending it instead would have crossed the left edge: the order matters.
        Assert.NotNull(PolygonEditing.Problem([.. square, new(0.4, 0.1)]));
    }

    [Fact]
    public void A_vertex_is_grabbed_within_the_radius_measured_on_screen_and_the_nearest_wins()
    {
        IReadOnlyList<Point> polygon = [new(0.2, 0.2), new(0.22, 0.2), new(0.6, 0.7)];

        Assert.Equal(1, PolygonEditing.VertexAt(polygon, new(0.215, 0.2)));
        Assert.Equal(2, PolygonEditing.VertexAt(polygon, new(0.6, 0.73)));
        // 0.03 of the height is 0.03 × 9/16 ≈ 0.017 of the width, within the 0.02 radius; 0.04 of
        // the height (0.0225 of the width) is not.
        Assert.Null(PolygonEditing.VertexAt(polygon, new(0.6, 0.74)));
        Assert.Null(PolygonEditing.VertexAt(polygon, new(0.4, 0.4)));
    }

    [Fact]
    public void Dragging_and_arrow_keys_move_one_vertex_and_never_out_of_the_image()
    {
        IReadOnlyList<Point> polygon = [new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.7)];

        Assert.Equal([new(0.2, 0.2), new(1, 0), new(0.6, 0.7)], PolygonEditing.Move(polygon, 1, new(1.3, -0.2)));
        Assert.Equal([new(0.21, 0.2), new(0.6, 0.2), new(0.6, 0.7)], PolygonEditing.Nudge(polygon, 0, 1, 0, large: false));
        Assert.Equal([new(0.2, 0.2), new(0.6, 0.15), new(0.6, 0.7)], PolygonEditing.Nudge(polygon, 1, 0, -1, large: true));
        Assert.Equal([new(0.2, 0.2), new(0.6, 0.2), new(0.6, 1)], PolygonEditing.Nudge([new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.98)], 2, 0, 1, large: true));
    }

    [Fact]
    public void Removing_keeps_a_triangle_whole()
    {
        IReadOnlyList<Point> square = [new(0.2, 0.2), new(0.6, 0.2), new(0.6, 0.7), new(0.2, 0.7)];

        var triangle = PolygonEditing.Remove(square, 1);

        Assert.Equal([new(0.2, 0.2), new(0.6, 0.7), new(0.2, 0.7)], triangle);
        Assert.Same(triangle, PolygonEditing.Remove(triangle, 0));
    }

    [Fact]
    public void The_editor_names_what_the_API_would_refuse()
    {
        Assert.Contains("at least 3", PolygonEditing.Problem([new(0.1, 0.1), new(0.5, 0.5)]), StringComparison.Ordinal);
        // A bow tie: its edges cross.
        Assert.Contains("crosses", PolygonEditing.Problem([new(0.1, 0.1), new(0.5, 0.1), new(0.1, 0.5), new(0.5, 0.5)]), StringComparison.Ordinal);
        Assert.Null(PolygonEditing.Problem([new(0.1, 0.1), new(0.5, 0.1), new(0.5, 0.5), new(0.1, 0.5)]));
    }
}
