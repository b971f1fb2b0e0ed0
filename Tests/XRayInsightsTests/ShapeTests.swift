import Testing
import XRayInsights

@Suite struct ShapeTests {
    @Test(arguments: [
        ("SELECT * FROM books WHERE author_id = 7", "SELECT * FROM books WHERE author_id = ?"),
        ("select  title\n from books where id=12 and price > 3.50", "select title from books where id=? and price > ?"),
        ("SELECT * FROM t WHERE name = 'O''Brien' AND x = 'a'", "SELECT * FROM t WHERE name = ? AND x = ?"),
        ("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (?)"),
        ("SELECT * FROM t WHERE id in (4)", "SELECT * FROM t WHERE id in (?)"),
        ("SELECT \"col1\" FROM t2 WHERE c = $1", "SELECT \"col1\" FROM t2 WHERE c = $1"),
        ("SELECT * FROM t WHERE a = %s", "SELECT * FROM t WHERE a = %s"),
    ])
    func sqlLiteralsBecomePlaceholdersAndNamesStay(_ query: String, _ shape: String) {
        #expect(Shape.sql(query) == shape)
    }

    @Test func queriesThatDifferOnlyInValuesShareAShape() {
        #expect(Shape.sql("select * from books where author_id = 1") == Shape.sql("select * from books where author_id = 22"))
        #expect(Shape.sql("select * from books where id in (1,2)") == Shape.sql("select * from books where id IN (3, 4, 5)").replacing("IN", with: "in"))
        #expect(Shape.sql("select * from books where author_id = 1") != Shape.sql("select * from authors where id = 1"))
    }

    @Test(arguments: [
        ("https://api.example.com/users/42/orders", "https://api.example.com/users/{id}/orders"),
        ("http://h/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "http://h/items/{id}"),
        ("http://h/objects/5f1d7a9e2b3c4d5e6f708192", "http://h/objects/{id}"),
        ("http://h/search?q=books&page=2", "http://h/search?q=books&page={id}"),
        ("http://h/static/deadbeefcafe/app.js", "http://h/static/deadbeefcafe/app.js"),
        ("http://h:8080/v2/books", "http://h:8080/v2/books"),
    ])
    func urlIDsBecomePlaceholders(_ url: String, _ shape: String) {
        #expect(Shape.url(url) == shape)
    }

    @Test func endpointsDropTheHostAndTheQueryString() {
        #expect(Shape.endpointPath("http://127.0.0.1:8000/books/7?x=1") == "/books/{id}")
        #expect(Shape.endpointPath("/books/9") == "/books/{id}")
        #expect(Shape.endpointPath("http://h") == "/")
    }

    @Test func placeholdersAreSeenOutsideQuotesOnly() {
        #expect(Shape.hasPlaceholders("select * from t where a = ?"))
        #expect(Shape.hasPlaceholders("select * from t where a = %s"))
        #expect(Shape.hasPlaceholders("select * from t where a = $2"))
        #expect(Shape.hasPlaceholders("select * from t where a = :name"))
        #expect(!Shape.hasPlaceholders("select * from t where a = '?' and b::int = 1"))
    }
}
