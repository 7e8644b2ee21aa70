//! Reading a stamp's fields one by one; every step fails (None) on anything unexpected.

pub(in crate::logs::line) struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        Self { text, at: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    pub fn expect(&mut self, byte: u8) -> Option<()> {
        self.byte(&[byte]).map(drop)
    }

    /// The next byte when it is one of `allowed`.
    pub fn byte(&mut self, allowed: &[u8]) -> Option<u8> {
        let b = self.peek().filter(|b| allowed.contains(b))?;
        self.at += 1;
        Some(b)
    }

    /// Exactly `n` digits (at most 9).
    pub fn num(&mut self, n: usize) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + n)?;
        let mut value = 0;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(d - b'0');
        }
        self.at += n;
        Some(value)
    }

    /// One to `n` digits, not followed by another digit.
    pub fn num_upto(&mut self, n: usize) -> Option<u32> {
        let rest = self.text.get(self.at..)?;
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > n {
            return None;
        }
        self.num(len)
    }

    /// `HH:MM:SS`.
    pub fn clock(&mut self) -> Option<(u32, u32, u32)> {
        let hour = self.num(2)?;
        self.expect(b':')?;
        let minute = self.num(2)?;
        self.expect(b':')?;
        Some((hour, minute, self.num(2)?))
    }

    /// The end of a number: the next byte is no digit.
    pub fn end_of_number(&self) -> Option<()> {
        (!self.peek().is_some_and(|b| b.is_ascii_digit())).then_some(())
    }

    /// An optional fraction of a second (`.123`, `,978`, `:606`, `.675872`), in ms.
    pub fn fraction_ms(&mut self) -> u32 {
        let starts = matches!(self.peek(), Some(b'.' | b',' | b':'))
            && self.text.get(self.at + 1).is_some_and(u8::is_ascii_digit);
        if !starts {
            return 0;
        }
        self.at += 1;
        let mut ms = 0;
        for place in 0..3 {
            ms *= 10;
            if let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                ms += u32::from(d - b'0');
                self.at += 1;
            } else if place == 0 {
                return 0;
            }
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        ms
    }

    /// An optional offset from UTC (`Z`, `+02:00`, `-0500`, ` +0200`), in ms.
    pub fn zone(&mut self) -> i64 {
        match self.peek() {
            Some(b'Z' | b'z') => 0,
            Some(b'+' | b'-') => self.offset().unwrap_or(0),
            Some(b' ') => {
                let signed = matches!(self.text.get(self.at + 1), Some(b'+' | b'-'));
                let digits = self.text.get(self.at + 2..self.at + 6);
                if signed && digits.is_some_and(|d| d.iter().all(u8::is_ascii_digit)) {
                    self.at += 1;
                    self.offset().unwrap_or(0)
                } else {
                    0
                }
            }
            _ => 0,
        }
    }

    fn offset(&mut self) -> Option<i64> {
        let sign = if self.byte(b"+-")? == b'-' { -1 } else { 1 };
        let hours = self.num(2)?;
        if self.peek() == Some(b':') {
            self.at += 1;
        }
        let minutes = self.num(2).unwrap_or(0);
        Some(sign * i64::from(hours * 60 + minutes) * 60_000)
    }

    /// A month's English abbreviation, any case: 1 to 12.
    pub fn month(&mut self) -> Option<u32> {
        let name = self.text.get(self.at..self.at + 3)?;
        let month = match [
            name[0].to_ascii_lowercase(),
            name[1].to_ascii_lowercase(),
            name[2].to_ascii_lowercase(),
        ] {
            [b'j', b'a', b'n'] => 1,
            [b'f', b'e', b'b'] => 2,
            [b'm', b'a', b'r'] => 3,
            [b'a', b'p', b'r'] => 4,
            [b'm', b'a', b'y'] => 5,
            [b'j', b'u', b'n'] => 6,
            [b'j', b'u', b'l'] => 7,
            [b'a', b'u', b'g'] => 8,
            [b's', b'e', b'p'] => 9,
            [b'o', b'c', b't'] => 10,
            [b'n', b'o', b'v'] => 11,
            [b'd', b'e', b'c'] => 12,
            _ => return None,
        };
        self.at += 3;
        Some(month)
    }

    /// ` 2005` after a ctime clock (`Sun Dec 04 04:47:44 2005`).
    pub fn trailing_year(&mut self) -> Option<u32> {
        let year = self.text.get(self.at..self.at + 5)?;
        let after = self.text.get(self.at + 5);
        let is_year = year[0] == b' '
            && year[1..].iter().all(u8::is_ascii_digit)
            && !after.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b':');
        if !is_year {
            return None;
        }
        self.at += 1;
        self.num(4)
    }
}
