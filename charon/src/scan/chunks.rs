//! glibc's heap, walked chunk by chunk: which blocks start a chunk in use.
//!
//! The layout used (x86-64, glibc 2.36 on bookworm and 2.41 in the trixie root, both
//! checked): a chunk is `prev_size, size | flags` followed by its user memory; the
//! next chunk follows at `chunk + size`, and its `PREV_INUSE` bit (1) says whether this
//! one is in use. The main arena's heap is the `[heap]` mapping, chunks from its first
//! byte. A thread arena's heap starts at a 64 MiB boundary with a `heap_info`
//! (48 bytes); in the arena's first heap the `malloc_state` (2,200 bytes) follows, then
//! the first chunk, aligned so that its user memory is 16-byte aligned; the walk of that
//! heap must end at the arena's `top` field, which checks both sizes on every scan. A
//! later heap of an arena points to that arena; other 64 MiB-aligned mappings (thread
//! stacks can be) are not walked. A
//! heap is `heap_info.size` bytes long, which can be less than its readable mapping:
//! after a trim glibc gives the tail back with `madvise` and leaves it mapped.

use super::Memory;
use anyhow::{bail, Context, Result};
use std::collections::HashSet;

/// Walks glibc's chunks of one heap mapping (`words`, at `base`) from the chunk whose
/// `prev_size` word is `words[first]`, adding to `used` the user address of every
/// chunk in use (the next chunk's `PREV_INUSE` bit is set; a chunk in a tcache or
/// fastbin keeps that bit, but its first word is then a free-list link, which no
/// object or node check accepts). The last chunk's address (the top, or a fencepost),
/// or `None` when the walk does not reach the mapping's end.
pub(super) fn walk_chunks(
    base: u64,
    words: &[u64],
    first: usize,
    used: &mut HashSet<u64>,
) -> Option<u64> {
    let mut c = first;
    loop {
        let size = *words.get(c + 1)? & !7;
        if size == 16 {
            // A fencepost: the end of a heap that is not its arena's last.
            return Some(base + 8 * c as u64);
        }
        if size < 32 || size % 16 != 0 {
            return None;
        }
        let next = c + (size / 8) as usize;
        if next + 1 >= words.len() {
            return (next <= words.len()).then_some(base + 8 * c as u64);
        }
        if words[next + 1] & 1 == 1 {
            used.insert(base + 8 * (c as u64 + 2));
        }
        c = next;
    }
}

/// `sizeof(struct malloc_state)` on x86-64 (glibc 2.36 and 2.41), and the offset of
/// its `top` field.
const MALLOC_STATE: u64 = 2200;
const MALLOC_STATE_TOP: u64 = 96;
/// `sizeof(heap_info)` on x86-64 (glibc 2.36 and 2.41).
const HEAP_INFO: u64 = 48;
/// Thread arenas' heaps are aligned to `HEAP_MAX_SIZE` (64 MiB on x86-64).
const HEAP_MAX: u64 = 64 << 20;

/// The user addresses of every chunk in use in the heaps of `m`: the main heap (the
/// `[heap]` mapping, chunks from its start) and the thread arenas' heaps (a `heap_info`
/// at a 64 MiB boundary; in an arena's first heap its `malloc_state` follows, and the
/// walk must end at that arena's `top`). Mappings that are neither (stacks, large
/// mmapped chunks, libraries' data) are not walked: nothing of 152 bytes lives there.
pub(super) fn chunks_in_use(m: &Memory) -> Result<(HashSet<u64>, Vec<u64>)> {
    let mut used = HashSet::new();
    let mut walked = Vec::new();
    // The arenas: a first heap's `heap_info.ar_ptr` points right after it. A later heap
    // of an arena points to one of these; any other 64 MiB-aligned mapping (a thread
    // stack can be one) is no heap.
    let arenas: HashSet<u64> = m
        .heap
        .iter()
        .filter(|(base, words)| base % HEAP_MAX == 0 && words.first() == Some(&(base + HEAP_INFO)))
        .map(|(base, _)| base + HEAP_INFO)
        .collect();
    for (i, (base, words)) in m.heap.iter().enumerate() {
        let mut words = &words[..];
        let (first, top) = if m.main_heap == Some(i) {
            (0, None)
        } else if base % HEAP_MAX == 0 && words.len() > 2 && arenas.contains(&words[0]) {
            // The heap is `heap_info.size` bytes: after a trim glibc keeps the rest of
            // the mapping readable (`madvise(MADV_DONTNEED)`), zeros, outside the heap.
            let size = (words[2] / 8) as usize;
            if (HEAP_INFO as usize / 8..=words.len()).contains(&size) {
                words = &words[..size];
            }
            let arena = words[0];
            if arena == base + HEAP_INFO {
                let start = arena + MALLOC_STATE;
                // The first chunk's user memory (chunk + 16) is 16-byte aligned.
                let first = (start + 16).next_multiple_of(16) - 16;
                let top = words.get(((arena + MALLOC_STATE_TOP - base) / 8) as usize);
                (((first - base) / 8) as usize, top.copied())
            } else {
                ((HEAP_INFO / 8) as usize, None)
            }
        } else {
            continue;
        };
        let last = walk_chunks(*base, words, first, &mut used).with_context(|| {
            let mut c = first;
            let mut trail = Vec::new();
            while let Some(&w) = words.get(c + 1) {
                let size = (w & !7) as usize;
                trail.push(format!("+{:#x}:{w:#x}", c * 8));
                if size < 32 || size % 16 != 0 {
                    break;
                }
                c += size / 8;
            }
            let tail: Vec<_> = trail.iter().rev().take(4).rev().collect();
            format!(
                "glibc's chunks at {base:#x} ({:#x} bytes read, heap_info.size {:#x}) do not walk to the end: {tail:?}",
                words.len() * 8,
                words.get(2).copied().unwrap_or(0)
            )
        })?;
        if top.is_some_and(|t| t != last) {
            bail!("the arena at {base:#x} ends at {last:#x}, its top is {top:#x?}");
        }
        walked.push(*base);
    }
    Ok((used, walked))
}

/// How many times [`consistent`] reads charon's memory before it gives up.
pub(super) const READS: usize = 8;

/// A copy of charon's memory that the chunk walk accepts, with its chunks in use and
/// how many reads it took. charon runs while its memory is copied, page by page: a
/// thread that allocates meanwhile can leave the copy torn (a chunk header from before
/// the allocation, the arena's `top` from after), which the walk detects; so the copy
/// is read again, up to [`READS`] times, 10 ms apart. The last walk's error is returned
/// when no copy walks.
pub(super) fn consistent(
    mut read: impl FnMut() -> Result<Memory>,
) -> Result<(Memory, HashSet<u64>, usize)> {
    let mut last = None;
    for n in 1..=READS {
        let m = read()?;
        match chunks_in_use(&m) {
            Ok((used, _)) => return Ok((m, used, n)),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(last.expect("READS > 0").context(format!(
        "no copy of charon's memory walked in {READS} reads"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_copy_is_read_again_and_one_that_never_walks_is_an_error() {
        let good = heap(&[(160, true)], 64);
        let mut torn = good.clone();
        torn[1] = 48 | 1; // the first chunk's header, from another moment
        let main = |words: &Vec<u64>| memory(0x1000, words.clone(), true);
        let mut copies = vec![main(&torn), main(&good)].into_iter();
        let (_, used, reads) =
            consistent(|| Ok(copies.next().expect("two copies"))).expect("the second walks");
        assert_eq!(reads, 2);
        assert!(used.contains(&0x1010));
        let Err(err) = consistent(|| Ok(main(&torn))) else {
            panic!("a copy that never walks was accepted");
        };
        assert!(format!("{err:#}").contains("in 8 reads"), "{err:#}");
    }

    /// A copy of memory holding one mapping, `words` at `base`; `main` marks it as
    /// the `[heap]` mapping.
    fn memory(base: u64, words: Vec<u64>, main: bool) -> Memory {
        Memory {
            code: vec![],
            pubkey_code: vec![],
            heap: vec![(base, words)],
            main_heap: main.then_some(0),
        }
    }

    /// A heap of `(size, in_use)` chunks, each `size` bytes, then a top chunk of
    /// `top` bytes; `stale` writes an old chunk header (160 | PREV_INUSE) inside the
    /// first free chunk, as a freed block's remains would be.
    fn heap(chunks: &[(u64, bool)], top: u64) -> Vec<u64> {
        let mut words = Vec::new();
        let mut prev_in_use = true;
        for &(size, in_use) in chunks.iter().chain(&[(top, false)]) {
            words.push(0);
            words.push(size | u64::from(prev_in_use));
            words.extend(std::iter::repeat_n(0, (size / 8 - 2) as usize));
            prev_in_use = in_use;
        }
        words
    }

    #[test]
    fn only_chunks_in_use_are_counted_and_stale_copies_inside_free_ones_are_not() {
        let base = 0x1000;
        let mut words = heap(&[(160, true), (320, false), (48, true)], 256);
        // A stale copy inside the free chunk: an old header, old contents.
        words[20 + 7] = 160 | 1;
        let mut used = HashSet::new();
        let last = walk_chunks(base, &words, 0, &mut used).expect("the walk ends at the top");
        let mut used: Vec<u64> = used.into_iter().collect();
        used.sort();
        assert_eq!(used, vec![base + 16, base + 160 + 320 + 16]);
        assert_eq!(last, base + 160 + 320 + 48, "the top chunk");
    }

    #[test]
    fn a_walk_from_a_wrong_start_fails() {
        let words = heap(&[(160, true), (32, true)], 64);
        // Word 2 is the first chunk's user memory (0): no chunk has size 0.
        assert_eq!(walk_chunks(0, &words, 2, &mut HashSet::new()), None);
    }

    #[test]
    fn a_trimmed_heap_ends_at_its_size_not_at_its_mapping() {
        let base = HEAP_MAX;
        let first = (base + HEAP_INFO + MALLOC_STATE + 16).next_multiple_of(16) - 16;
        let pad = ((first - base) / 8) as usize;
        let mut words = vec![0; pad];
        words.extend(heap(&[(160, true)], 64));
        let size = words.len() as u64 * 8;
        // The mapping goes on after the heap: zeros, as after a trim.
        words.extend(std::iter::repeat_n(0, 512));
        words[0] = base + HEAP_INFO;
        words[2] = size;
        words[((HEAP_INFO + MALLOC_STATE_TOP) / 8) as usize] = first + 160;
        let (used, _) = chunks_in_use(&memory(base, words.clone(), false))
            .expect("the heap ends at heap_info.size");
        assert!(used.contains(&(first + 16)));
        // Read to the mapping's end, the same heap does not walk.
        words[2] = words.len() as u64 * 8;
        assert!(chunks_in_use(&memory(base, words, false)).is_err());
    }

    #[test]
    fn an_aligned_mapping_that_is_no_heap_is_not_walked() {
        // A thread stack that happens to start at a 64 MiB boundary: zeros.
        let m = memory(HEAP_MAX, vec![0; 4096], false);
        let (used, walked) = chunks_in_use(&m).expect("nothing to walk");
        assert!(used.is_empty() && walked.is_empty());
    }

    #[test]
    fn an_arena_whose_walk_does_not_end_at_its_top_is_an_error() {
        let base = HEAP_MAX;
        let first = (base + HEAP_INFO + MALLOC_STATE + 16).next_multiple_of(16) - 16;
        let pad = ((first - base) / 8) as usize;
        let mut words = vec![0; pad];
        words.extend(heap(&[(160, true)], 64));
        words[0] = base + HEAP_INFO;
        words[2] = words.len() as u64 * 8;
        let top_field = ((base + HEAP_INFO + MALLOC_STATE_TOP - base) / 8) as usize;
        words[top_field] = first + 160;
        let (used, walked) =
            chunks_in_use(&memory(base, words.clone(), false)).expect("a valid arena");
        assert_eq!(walked, vec![base]);
        assert!(used.contains(&(first + 16)));
        words[top_field] = first;
        let err = chunks_in_use(&memory(base, words, false)).expect_err("a wrong top");
        assert!(err.to_string().contains("its top is"), "{err}");
    }
}
